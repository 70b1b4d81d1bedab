using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using TorchSharp;
using static SlimLLM.Tests.IO.SafetensorsTestFiles;

namespace SlimLLM.Tests.IO;

public class ShardedSafetensorsTests : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string ModelFile => Path.Combine(TestData.TinyStoriesLlama, "model.safetensors");

    private static void WriteModel(string folder, long maxShardBytes)
    {
        using var source = new SafetensorsFile(ModelFile);
        SafetensorsShardedWriter.Write(folder, source.Entries.Select(e => e.Info), info => source.Load(info.Name), source.Metadata, maxShardBytes);
    }

    [Fact]
    public void ShardedWriteReadsBackLikeTheSingleFile()
    {
        // 700 kB shards: lm_head (1 MiB) alone, then greedy filling in declaration order gives 7 + 7 + 5 tensors.
        WriteModel(_dir.Path, maxShardBytes: 700_000);
        string[] shards = ["model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"];
        Assert.Equal(shards.Append("model.safetensors.index.json").Order(StringComparer.Ordinal),
            Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var single = new SafetensorsFile(ModelFile);
        using var store = SafetensorsStore.Open(_dir.Path);
        var sharded = Assert.IsType<ShardedSafetensors>(store);
        Assert.Equal(2_624_000, sharded.TotalSize);
        Assert.Equal(single.Names.Order(StringComparer.Ordinal), sharded.Names);
        Assert.Equal(shards, sharded.ShardFiles.Order(StringComparer.Ordinal));
        Assert.Equal([1, 7, 7, 5], shards.Select(s => sharded.Names.Count(n => sharded.ShardOf(n) == s)));
        foreach (var name in single.Names)
        {
            using var expected = single.Load(name);
            using var actual = sharded.Load(name);
            Assert.Equal(single.Info(name).Shape, sharded.Info(name).Shape);
            Assert.Equal(expected.bytes.ToArray(), actual.bytes.ToArray());
        }
        Assert.Equal(single.Metadata, sharded.ShardHolding("model.norm.weight").Metadata);

        var index = File.ReadAllText(_dir.File("model.safetensors.index.json"));
        Assert.StartsWith("{\n  \"metadata\": {\n    \"total_size\": 2624000\n  },\n  \"weight_map\": {\n" +
                          "    \"lm_head.weight\": \"model-00001-of-00004.safetensors\",\n" +
                          "    \"model.layers.0.input_layernorm.weight\": \"model-00002-of-00004.safetensors\",\n", index);
        Assert.EndsWith("    \"model.norm.weight\": \"model-00004-of-00004.safetensors\"\n  }\n}\n", index);
    }

    [Fact]
    public void UnderTheThresholdOneModelFileIsWrittenAndStaleShardsGo()
    {
        WriteModel(_dir.Path, maxShardBytes: 700_000);
        WriteModel(_dir.Path, maxShardBytes: SafetensorsShardedWriter.DefaultMaxShardBytes);
        Assert.Equal(["model.safetensors"], Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
        Assert.Equal("187d0d5e8360d9625e40e0b35ec57d1ef0eea1a60ddcf09412246bed3484852f", Sha256(_dir.File("model.safetensors")));
        using var store = SafetensorsStore.Open(_dir.Path);
        Assert.IsType<SafetensorsFile>(store);

        WriteModel(_dir.Path, maxShardBytes: 1_500_000);
        Assert.Equal(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"],
            Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AFailedShardedWriteLeavesNothing()
    {
        TensorInfo[] tensors = [new("a", TensorDType.F32, [100]), new("b", TensorDType.F32, [100]), new("c", TensorDType.F32, [100])];
        Assert.Throws<InvalidOperationException>(() => SafetensorsShardedWriter.Write(_dir.Path, tensors,
            info => info.Name == "c" ? throw new InvalidOperationException("late failure") : torch.zeros(100), maxShardBytes: 500));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void IndexThatIsNotJsonNamesTheIndex()
    {
        var index = _dir.File("model.safetensors.index.json");
        File.WriteAllText(index, "{\"weight_map\": {\"a\": ");
        var ex = Assert.Throws<SlimLLMException>(() => SafetensorsStore.Open(_dir.Path));
        Assert.Equal(index, ex.File);
        Assert.StartsWith($"{index}: is not valid JSON (line 1, byte ", ex.Message);
    }

    [Fact]
    public void IndexWithoutWeightMap()
    {
        var index = _dir.File("model.safetensors.index.json");
        File.WriteAllText(index, "{\"metadata\": {}}");
        var ex = Assert.Throws<SlimLLMException>(() => new ShardedSafetensors(index));
        Assert.StartsWith($"{index}: has no \"weight_map\" object (tensor name → shard file).", ex.Message);
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        WriteModel(_dir.Path, maxShardBytes: 1_500_000);
        File.Delete(_dir.File("model-00002-of-00002.safetensors"));
        var index = _dir.File("model.safetensors.index.json");
        var ex = Assert.Throws<SlimLLMException>(() => SafetensorsStore.Open(index));
        Assert.Equal(index, ex.File);
        Assert.Contains("lists shard 'model-00002-of-00002.safetensors' (for tensor 'model.layers.", ex.Message);
        Assert.Contains($"but {_dir.File("model-00002-of-00002.safetensors")} does not exist.", ex.Message);
    }

    [Fact]
    public void TensorMissingFromItsShardIsNamed()
    {
        File.WriteAllBytes(_dir.File("s.safetensors"), Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [9]));
        var index = _dir.File("model.safetensors.index.json");
        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"s.safetensors\", \"b\": \"s.safetensors\"}}");
        using var store = new ShardedSafetensors(index);
        using var a = store.Load("a");
        Assert.Equal(9, a.item<byte>());
        var ex = Assert.Throws<SlimLLMException>(() => store.Load("b"));
        Assert.StartsWith($"{index}: maps tensor 'b' to shard 's.safetensors', but that shard does not contain it.", ex.Message);
        var absent = Assert.Throws<SlimLLMException>(() => store.Info("c"));
        Assert.StartsWith($"{index}: has no tensor 'c' in its weight_map.", absent.Message);
    }

    [Fact]
    public void FolderWithoutACheckpointSaysWhatItHas()
    {
        var ex = Assert.Throws<SlimLLMException>(() => SafetensorsStore.Open(_dir.Path));
        Assert.StartsWith($"{_dir.Path}: has neither model.safetensors nor model.safetensors.index.json (it has no .safetensors file at all).", ex.Message);

        File.WriteAllBytes(_dir.File("adapter.safetensors"), []);
        ex = Assert.Throws<SlimLLMException>(() => SafetensorsStore.Open(_dir.Path));
        Assert.Contains("(it has adapter.safetensors)", ex.Message);

        var missing = Assert.Throws<SlimLLMException>(() => SafetensorsStore.Open(_dir.File("nowhere")));
        Assert.StartsWith($"{_dir.File("nowhere")}: no such file or folder.", missing.Message);
    }

    [Fact]
    public void OpeningAFileDirectlyPicksTheReader()
    {
        using var direct = SafetensorsStore.Open(ModelFile);
        Assert.IsType<SafetensorsFile>(direct);
        Assert.Equal(20, direct.Names.Count);
    }
}
