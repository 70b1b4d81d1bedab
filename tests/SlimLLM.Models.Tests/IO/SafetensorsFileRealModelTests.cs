using System.Security.Cryptography;
using System.Text.Json;
using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using TorchSharp;

namespace SlimLLM.Tests.IO;

/// <summary>Reads the shared Hugging Face TinyStories LLaMA checkpoint (written by the Python safetensors library).</summary>
public class SafetensorsFileRealModelTests
{
    private static string ModelFile => Path.Combine(TestData.TinyStoriesLlama, "model.safetensors");

    [Fact]
    public void ListsExactlyTheTensorsTheConfigDescribes()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData.TinyStoriesLlama, "config.json")));
        var c = config.RootElement;
        long hidden = c.GetProperty("hidden_size").GetInt64(), ffn = c.GetProperty("intermediate_size").GetInt64(), vocab = c.GetProperty("vocab_size").GetInt64();
        long heads = c.GetProperty("num_attention_heads").GetInt64(), kvHeads = c.GetProperty("num_key_value_heads").GetInt64();
        var layers = c.GetProperty("num_hidden_layers").GetInt32();
        Assert.Equal((128L, 384L, 2048L, 8L, 4L, 2), (hidden, ffn, vocab, heads, kvHeads, layers));
        var kvDim = kvHeads * (hidden / heads);

        var expected = new Dictionary<string, long[]> { ["lm_head.weight"] = [vocab, hidden], ["model.norm.weight"] = [hidden] };
        for (var i = 0; i < layers; i++)
        {
            var p = $"model.layers.{i}.";
            expected[p + "input_layernorm.weight"] = [hidden];
            expected[p + "post_attention_layernorm.weight"] = [hidden];
            expected[p + "self_attn.q_proj.weight"] = [hidden, hidden];
            expected[p + "self_attn.k_proj.weight"] = [kvDim, hidden];
            expected[p + "self_attn.v_proj.weight"] = [kvDim, hidden];
            expected[p + "self_attn.o_proj.weight"] = [hidden, hidden];
            expected[p + "mlp.gate_proj.weight"] = [ffn, hidden];
            expected[p + "mlp.up_proj.weight"] = [ffn, hidden];
            expected[p + "mlp.down_proj.weight"] = [hidden, ffn];
        }

        using var file = new SafetensorsFile(ModelFile);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected)
        {
            var info = file.Info(name);
            Assert.Equal(TensorDType.F32, info.DType);
            Assert.Equal(shape, info.Shape);
        }
        Assert.False(file.Contains("model.embed_tokens.weight"));
        Assert.Equal(2_624_000, file.Entries.Sum(e => e.ByteLength));
        Assert.Equal(8 + 2160, file.DataStart);
        Assert.Equal([new("format", "pt"), new("model.embed_tokens.weight", "lm_head.weight")], file.Metadata.ToList());
    }

    [Fact]
    public void LoadedValuesMatchPinnedChecksums()
    {
        // Pinned with an independent reader (Python struct over the raw file), summing in float64.
        using var file = new SafetensorsFile(ModelFile);
        using var lmHead = file.Load("lm_head.weight");
        Assert.Equal(torch.ScalarType.Float32, lmHead.dtype);
        Assert.Equal([2048L, 128L], lmHead.shape);
        using var asDouble = lmHead.to(torch.ScalarType.Float64);
        Assert.Equal(2512.834466814995, asDouble.sum().item<double>(), 1e-9);
        Assert.Equal(64793.898013400554, asDouble.square().sum().item<double>(), 1e-8);
        Assert.Equal(-0.68359375f, lmHead[0, 0].item<float>());
        Assert.Equal(-0.02587890625f, lmHead[0, 1].item<float>());
        Assert.Equal(-0.005096435546875f, lmHead[1000, 5].item<float>());
        Assert.Equal(-0.421875f, lmHead[2047, 127].item<float>());

        using var norm = file.Load("model.norm.weight");
        Assert.Equal(83.99560546875, norm.to(torch.ScalarType.Float64).sum().item<double>(), 1e-12);
        using var down = file.Load("model.layers.1.mlp.down_proj.weight");
        Assert.Equal(-41.52520179748535, down.to(torch.ScalarType.Float64).sum().item<double>(), 1e-9);
    }

    [Fact]
    public void RawBytesHashAsPinned()
    {
        using var file = new SafetensorsFile(ModelFile);
        using (var raw = file.OpenRaw("lm_head.weight"))
            Assert.Equal("f5e65dc5668a8ef85c25ab56e15cbf93d765cef1d22a6017e059c495bffbe554", Convert.ToHexStringLower(SHA256.HashData(raw)));

        var norm = new byte[512];
        file.CopyRaw("model.norm.weight", norm);
        Assert.Equal("2d2f0547256f543ff354d42e44f2b36ed0f7c57b5d1d5da779942d69d509e290", Convert.ToHexStringLower(SHA256.HashData(norm)));
        using var loaded = file.Load("model.norm.weight");
        Assert.Equal(norm, loaded.bytes.ToArray());
        Assert.Throws<ArgumentException>(() => file.CopyRaw("model.norm.weight", new byte[511]));
    }

    [Fact]
    public void ConcurrentLoadsGiveTheSameTensors()
    {
        using var file = new SafetensorsFile(ModelFile);
        var names = file.Names.ToArray();
        var reference = names.ToDictionary(n => n, n => { using var t = file.Load(n); return Convert.ToHexStringLower(SHA256.HashData(t.bytes)); });

        var mismatches = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var name = names[i % names.Length];
            using var t = file.Load(name);
            if (Convert.ToHexStringLower(SHA256.HashData(t.bytes)) != reference[name]) Interlocked.Increment(ref mismatches);
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void OpeningLeavesTheFileReadableAndDeletableByOthers()
    {
        using var dir = TestData.NewTempDir();
        var copy = dir.File("model.safetensors");
        File.Copy(ModelFile, copy);
        using var file = new SafetensorsFile(copy);
        using (var other = new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            Assert.Equal(2_626_168, other.Length);
        File.Delete(copy);
        using var stillMapped = file.Load("model.norm.weight");
        Assert.Equal(0.640625f, stillMapped[0].item<float>());
    }
}
