using System.Security.Cryptography;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Engine;

public class StreamingLayerStoreTests
{
    private static readonly ComputeDevice Cpu = ComputeDevice.Resolve("cpu");
    private static readonly PruneSettings Settings = new() { Ratio = new RatioSpec(Target: 0.3) };

    private static CalibrationSet Calibration(IModelSource source) =>
        CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 8, 64, 42);

    private static Dictionary<string, string> Hashes(string folder) => Directory.GetFiles(folder)
        .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Streaming_the_layers_to_disk_writes_the_same_files_as_writing_the_pruned_model_from_memory()
    {
        using var dir = TestData.NewTempDir();
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var calibration = Calibration(source);

        var inMemory = Directory.CreateDirectory(dir.File("memory")).FullName;
        using (var r = new PruningEngine().Run(source, calibration, Settings, Cpu))
            PrunedModelWriter.Write(inMemory, source, r);

        var streamed = Directory.CreateDirectory(dir.File("streamed")).FullName;
        using (var store = new StreamingLayerStore(streamed, ScalarType.Float32, PrunedModelWriter.DefaultMaxShardBytes))
        using (var r = new PruningEngine().Run(source, calibration, Settings, Cpu, store: store))
        {
            Assert.False(r.WeightsInMemory);
            Assert.Empty(r.Layers);
            PrunedModelWriter.Write(streamed, source, r);
        }
        var expected = Hashes(inMemory);
        Assert.Contains("model.safetensors", expected.Keys);
        Assert.Equal(expected, Hashes(streamed));
    }

    [Fact]
    public void Layers_read_back_from_unfinished_shards_equal_what_was_added_and_nothing_is_published_before_the_end()
    {
        using var dir = TestData.NewTempDir();
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var folder = Directory.CreateDirectory(dir.File("out")).FullName;
        using var embedding = source.LoadEmbedding();
        using var store = new StreamingLayerStore(folder, ScalarType.Float32, maxShardBytes: 400_000);   // several shards
        store.Begin(source.Config, embedding);
        for (int l = 0; l < source.Config.NumLayers; l++)
        {
            using var dense = source.LoadLayer(l);
            store.Add(l, dense.Alias());
            using var back = store.Get(l);
            foreach (var ((name, expected), (_, actual)) in dense.Named().Zip(back.Named()))
                Assert.True(expected.allclose(actual, 0, 0), $"layer {l} {name}");
        }
        Assert.Empty(Directory.GetFiles(folder, "*.safetensors"));           // only temporary files so far
        store.End(source.LoadFinalNorm(), source.Config.TieWordEmbeddings ? null : source.LoadLmHead());
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        using var reread = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var written = SlimLLM.IO.Safetensors.SafetensorsStore.Open(folder);
        using var q = written.Load("model.layers.1.self_attn.q_proj.weight");
        using var denseLayer = reread.LoadLayer(1);
        Assert.True(q.allclose(denseLayer.Q, 0, 0));
    }
}
