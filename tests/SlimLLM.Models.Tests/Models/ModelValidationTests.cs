using System.Text;
using System.Text.Json.Nodes;
using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Models;

/// <summary>
/// Hyperparameters out of range, unsupported features and non-finite weights are refused when the model is opened (before
/// anything is sized from them), each with one line naming the file, the key or tensor, the value and the fix.
/// </summary>
public class ModelValidationTests
{
    private static SlimLLMException OpenFails(string path)
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelLoader.Open(path).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static SlimLLMException ConfigFails(Action<JsonObject> edit, params string[] expected)
    {
        using var dir = ModelCopies.WithConfig(edit);
        var e = OpenFails(dir.Path);
        Assert.StartsWith(dir.File("config.json") + ": ", e.Message);
        foreach (var x in expected) Assert.Contains(x, e.Message);
        Assert.NotNull(e.Fix);
        return e;
    }

    // Found by build/fuzz.sh (seed 7 cases 72, 372, 477; seed 13 case 92): a value of the wrong JSON type was an internal error.
    [Theory]
    [InlineData("torch_dtype", "true", "\"torch_dtype\" is true; it must be a string")]
    [InlineData("torch_dtype", "4294967296", "\"torch_dtype\" is 4294967296; it must be a string")]
    [InlineData("torch_dtype", "{}", "\"torch_dtype\" is {}; it must be a string")]
    [InlineData("rope_scaling", "{\"rope_type\": 3}", "\"rope_scaling.rope_type\" is 3; it must be a string")]
    [InlineData("architectures", "[1E-300]", "has no \"architectures\" entry naming the model class")]
    public void Values_of_the_wrong_json_type_are_one_line_naming_the_key(string key, string json, string expected) =>
        ConfigFails(c => c[key] = JsonNode.Parse(json), expected);

    [Theory]
    [InlineData("num_attention_heads", 0, "\"num_attention_heads\" is 0; it must be at least 1")]
    [InlineData("num_key_value_heads", 0, "\"num_key_value_heads\" is 0; it must be at least 1")]
    [InlineData("num_hidden_layers", -1, "\"num_hidden_layers\" is -1; it must be at least 1")]
    [InlineData("hidden_size", 0, "\"hidden_size\" is 0; it must be at least 1")]
    [InlineData("intermediate_size", 0, "\"intermediate_size\" is 0; it must be at least 1")]
    [InlineData("intermediate_size", -5, "\"intermediate_size\" is -5; it must be at least 1")]
    [InlineData("vocab_size", 0, "\"vocab_size\" is 0; it must be at least 1")]
    [InlineData("max_position_embeddings", 0, "\"max_position_embeddings\" is 0; it must be at least 1")]
    [InlineData("head_dim", 15, "\"head_dim\" is 15; it must be even")]
    [InlineData("max_position_embeddings", int.MaxValue, "\"max_position_embeddings\" is 2147483647; it must be at most 16,777,216")]
    public void Integer_out_of_range_is_refused_naming_key_and_value(string key, int value, string expected) =>
        ConfigFails(c => c[key] = value, expected);

    [Theory]
    [InlineData("rms_norm_eps", -1.0)]
    [InlineData("rms_norm_eps", 0.0)]
    [InlineData("rope_theta", 0.0)]
    [InlineData("rope_theta", -10000.0)]
    public void Non_positive_float_is_refused(string key, double value) =>
        ConfigFails(c => c[key] = value, $"\"{key}\" is {value:R}; it must be a finite number above 0");

    [Theory]
    [InlineData("rms_norm_eps", "NaN")]
    [InlineData("rope_theta", "Infinity")]
    public void Float_written_as_a_string_is_refused_not_replaced_by_the_default(string key, string value) =>
        ConfigFails(c => c[key] = value, $"\"{key}\" is \"{value}\"; it must be a number");

    [Fact]
    public void Hidden_size_not_divisible_by_heads_is_refused()
    {
        // 12 heads over 4 KV heads is a valid grouping, but 128 / 12 is no whole head size.
        ConfigFails(c => c["num_attention_heads"] = 12, "\"hidden_size\" (128) is not divisible by \"num_attention_heads\" (12)");
    }

    [Fact]
    public void A_billion_layers_fail_at_once_without_allocating()
    {
        using var dir = ModelCopies.WithConfig(c => c["num_hidden_layers"] = 1_000_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = OpenFails(dir.Path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("\"num_hidden_layers\" is 1000000000; it must be at most 100,000", e.Message);
        Assert.True(allocated < 50_000_000, $"allocated {allocated:N0} bytes before the error");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Layer_count_is_checked_against_the_layers_the_weights_hold()
    {
        var e = ConfigFails(c => c["num_hidden_layers"] = 3, "\"num_hidden_layers\" is 3 but model.safetensors holds 2 decoder layers (model.layers.0 to model.layers.1)");
        Assert.Equal("Set \"num_hidden_layers\" to 2, or use the file that came with these weights.", e.Fix);
        ConfigFails(c => c["num_hidden_layers"] = 1, "\"num_hidden_layers\" is 1 but model.safetensors holds 2 decoder layers");
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_pytorch_tanh")]
    [InlineData("relu")]
    public void Activation_other_than_silu_is_refused_by_name(string act) =>
        ConfigFails(c => c["hidden_act"] = act, $"\"hidden_act\" is \"{act}\"; SlimLLM computes the LLaMA MLP with SiLU only");

    [Fact]
    public void Swish_is_silu_and_loads()
    {
        using var dir = ModelCopies.WithConfig(c => c["hidden_act"] = "swish");
        using var s = ModelLoader.Open(dir.Path);
        Assert.Equal(2, s.Config.NumLayers);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("dynamic")]
    [InlineData("yarn")]
    public void Rope_scaling_types_not_implemented_are_refused_by_name(string type) =>
        ConfigFails(c => c["rope_scaling"] = new JsonObject { ["rope_type"] = type, ["factor"] = 2.0 }, $"rope_scaling type '{type}' is not supported");

    [Fact]
    public void Llama3_rope_scaling_with_unusable_factors_is_refused()
    {
        ConfigFails(c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 0.0 }, "\"rope_scaling.factor\" is 0");
        ConfigFails(c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["low_freq_factor"] = 4.0, ["high_freq_factor"] = 4.0 },
            "\"rope_scaling.high_freq_factor\" (4) is not above \"rope_scaling.low_freq_factor\" (4)");
    }

    [Fact]
    public void Untied_config_without_lm_head_is_refused()
    {
        // The shared model stores only lm_head.weight (tied): renamed to the embedding and declared untied, there is no head.
        using var dir = TestData.NewTempDir();
        ModelCopies.Transformed(dir.Path, (n, t) => (n == "lm_head.weight" ? "model.embed_tokens.weight" : n, t), c => c["tie_word_embeddings"] = false);
        var e = OpenFails(dir.Path);
        Assert.Contains("\"tie_word_embeddings\" is false but the checkpoint has no lm_head.weight", e.Message);
    }

    [Fact]
    public void Tied_config_with_a_different_lm_head_is_refused_and_an_equal_one_loads()
    {
        using var same = TestData.NewTempDir();
        ModelCopies.Transformed(same.Path, (n, t) => (n, t), null);
        AddEmbedding(same.Path, scale: 1.0);
        using (var s = ModelLoader.Open(same.Path)) Assert.True(s.Config.TieWordEmbeddings);

        using var different = TestData.NewTempDir();
        ModelCopies.Transformed(different.Path, (n, t) => (n, t), null);
        AddEmbedding(different.Path, scale: 0.5);
        var e = OpenFails(different.Path);
        Assert.Contains("\"tie_word_embeddings\" is true but the checkpoint's lm_head.weight differs from its model.embed_tokens.weight", e.Message);
    }

    /// <summary>Rewrites the folder's single safetensors file with model.embed_tokens.weight = scale × lm_head.weight added.</summary>
    private static void AddEmbedding(string folder, double scale)
    {
        var tensors = new List<(string, Tensor)>();
        using (var store = SlimLLM.IO.Safetensors.SafetensorsStore.Open(folder))
            foreach (var n in store.Names) tensors.Add((n, store.Load(n)));
        var head = tensors.Single(t => t.Item1 == "lm_head.weight").Item2;
        tensors.Add(("model.embed_tokens.weight", head * scale));
        File.Delete(Path.Combine(folder, "model.safetensors"));
        SlimLLM.IO.Safetensors.SafetensorsShardedWriter.Write(folder, tensors, null, 2_000_000_000);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Theory]
    [InlineData("model.layers.1.mlp.up_proj.weight", float.NaN)]
    [InlineData("model.layers.0.self_attn.q_proj.weight", float.PositiveInfinity)]
    [InlineData("lm_head.weight", float.NegativeInfinity)]
    public void Non_finite_weight_is_refused_naming_the_tensor(string name, float bad)
    {
        using var dir = TestData.NewTempDir();
        ModelCopies.Transformed(dir.Path, (n, t) =>
        {
            if (n != name) return (n, t);
            var c = t.clone();
            c.view(-1)[3] = tensor(bad);
            return (n, c);
        });
        using var source = ModelLoader.Open(dir.Path);
        var e = Assert.Throws<SlimLLMException>(() =>
        {
            using var model = LlamaModel.Load(source, CPU, ScalarType.Float32, 64);
        });
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains($"tensor '{name}' holds {(float.IsNaN(bad) ? "1 NaN and 0 infinite" : "0 NaN and 1 infinite")} values", e.Message);
        Assert.Contains("model.safetensors", e.File);
    }

    // GGUF: the same range checks on the file's metadata (stories260K, a real llama.cpp-converted model, patched in place).

    private static string PatchedGguf(TempDir dir, string key, Func<byte[], int, int> patch)
    {
        var bytes = File.ReadAllBytes(TestData.Stories260KGguf);
        // The key as GGUF stores it (uint64 length, then the bytes), so that a key is not found inside a longer one.
        var k = BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(key)).Concat(Encoding.UTF8.GetBytes(key)).ToArray();
        int at = bytes.AsSpan().IndexOf(k);
        Assert.True(at > 0, key);
        int valueAt = at + k.Length + 4;   // the key, then its uint32 value type, then the value
        patch(bytes, valueAt);
        var path = dir.File("patched.gguf");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static SlimLLMException GgufFails(string key, Func<byte[], int, int> patch, string expected)
    {
        using var dir = TestData.NewTempDir();
        var path = PatchedGguf(dir, key, patch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = OpenFails(path);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        return e;
    }

    private static Func<byte[], int, int> UInt32(uint v) => (b, at) => { BitConverter.TryWriteBytes(b.AsSpan(at, 4), v); return 0; };
    private static Func<byte[], int, int> Float32(float v) => (b, at) => { BitConverter.TryWriteBytes(b.AsSpan(at, 4), v); return 0; };

    [Fact]
    public void Gguf_block_count_of_2_pow_31_minus_1_fails_at_once() =>
        GgufFails("llama.block_count", UInt32(int.MaxValue), "\"llama.block_count\" is 2147483647; it must be at most 100,000");

    [Fact]
    public void Gguf_block_count_is_checked_against_the_blocks_the_file_holds()
    {
        var e = GgufFails("llama.block_count", UInt32(7), "\"llama.block_count\" is 7 but patched.gguf holds 5 decoder layers (blk.0 to blk.4)");
        Assert.Contains("Set \"llama.block_count\" to 5", e.Message);
    }

    [Theory]
    [InlineData("llama.attention.head_count", 0u, "\"llama.attention.head_count\" is 0; it must be at least 1")]
    [InlineData("llama.embedding_length", 0u, "\"llama.embedding_length\" is 0; it must be at least 1")]
    [InlineData("llama.feed_forward_length", 0u, "\"llama.feed_forward_length\" is 0; it must be at least 1")]
    [InlineData("llama.context_length", 0u, "\"llama.context_length\" is 0; it must be at least 1")]
    [InlineData("llama.context_length", 2147483647u, "\"llama.context_length\" is 2147483647; it must be at most 16,777,216")]
    public void Gguf_integer_out_of_range_is_refused(string key, uint value, string expected) => GgufFails(key, UInt32(value), expected);

    [Theory]
    [InlineData(0f)]
    [InlineData(-1e-5f)]
    [InlineData(float.NaN)]
    public void Gguf_rms_epsilon_not_positive_is_refused(float value) =>
        GgufFails("llama.attention.layer_norm_rms_epsilon", Float32(value), "\"llama.attention.layer_norm_rms_epsilon\" is ");

    /// <summary>stories260K rewritten with its metadata edited and, optionally, a rope_freqs.weight tensor added.</summary>
    private static string GgufWith(TempDir dir, Action<SlimLLM.IO.Gguf.GgufMetadataBuilder> edit, bool ropeFreqs = false)
    {
        using var src = SlimLLM.IO.Gguf.GgufFile.Open(TestData.Stories260KGguf);
        var meta = new SlimLLM.IO.Gguf.GgufMetadataBuilder();
        foreach (var k in src.Metadata.Keys) meta.Set(k, src.Metadata[k]);
        edit(meta);
        var tensors = src.Tensors.Select(t => new SlimLLM.IO.Gguf.GgufTensorDeclaration(t.Name, t.Type, t.Shape)).ToList();
        if (ropeFreqs) tensors.Add(new("rope_freqs.weight", SlimLLM.IO.Gguf.GgmlType.F32, [4]));
        var path = dir.File("scaled.gguf");
        SlimLLM.IO.Gguf.GgufWriter.Write(path, meta, tensors, d => d.Name == "rope_freqs.weight" ? ones(4) : src.Load(d.Name));
        return path;
    }

    [Fact]
    public void Gguf_rope_scaling_is_refused_by_name()
    {
        using var dir = TestData.NewTempDir();
        // The rewritten file without scaling opens (the copy itself is sound).
        using (var plain = ModelLoader.Open(GgufWith(dir, _ => { }))) Assert.Equal(5, plain.Config.NumLayers);

        var path = GgufWith(dir, m => m.Set("llama.rope.scaling.type", "linear").Set("llama.rope.scaling.factor", 4f));
        var e = OpenFails(path);
        Assert.StartsWith(path + ": the model uses linear RoPE scaling ('llama.rope.scaling.type', factor 4), which is not implemented for GGUF input.", e.Message);

        path = GgufWith(dir, m => m.Set("llama.rope.scaling.type", "yarn"));
        Assert.Contains("uses yarn RoPE scaling", OpenFails(path).Message);

        path = GgufWith(dir, _ => { }, ropeFreqs: true);
        Assert.Contains("RoPE frequency factors ('rope_freqs.weight', Llama 3.1 scaling)", OpenFails(path).Message);

        // "none" is no scaling.
        using var none = ModelLoader.Open(GgufWith(dir, m => m.Set("llama.rope.scaling.type", "none")));
    }

    [Fact]
    public void Gguf_non_finite_weight_is_refused_naming_the_tensor()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("nan.gguf");
        File.Copy(TestData.Stories260KGguf, path);
        long offset;
        using (var f = SlimLLM.IO.Gguf.GgufFile.Open(path))
        {
            var entry = f.Entry("blk.2.ffn_down.weight");
            Assert.Equal(SlimLLM.IO.Gguf.GgmlType.F32, entry.Type);
            offset = f.DataOffset + entry.Offset;
        }
        using (var fs = File.OpenWrite(path))
        {
            fs.Position = offset + 4 * 10;
            fs.Write(BitConverter.GetBytes(float.NaN));
        }
        using var source = ModelLoader.Open(path);
        var e = Assert.Throws<SlimLLMException>(() => source.LoadLayer(2).Dispose());
        Assert.StartsWith(path + ": tensor 'blk.2.ffn_down.weight' holds 1 NaN and 0 infinite values", e.Message);
    }
}
