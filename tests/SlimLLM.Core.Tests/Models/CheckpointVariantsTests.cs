using SlimLLM.Testing;
using System.Text.Json.Nodes;
using SlimLLM.Evaluation;
using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using SlimLLM.Tests.Evaluation;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Models;

/// <summary>The same real model stored in other ways (dtype, sharding, which tied tensor) must give the same numbers.</summary>
public class CheckpointVariantsTests
{
    private static double Ppl(string model) => PerplexityTests.Measure(model, TestData.TinyStoriesValid, 2048);

    // The shared model's float32 weights happen to be exactly representable in bfloat16 and float16 (checked: converting
    // them back gives a difference of 0), so a correct half-precision loader must reproduce the float32 perplexity exactly;
    // misreading the 16-bit layout (e.g. bf16 as fp16) would change it beyond recognition.
    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void Half_precision_checkpoints_load_to_the_same_numbers(string dtype)
    {
        using var dir = TestData.NewTempDir();
        var st = dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float16;
        ModelCopies.Transformed(dir.Path, (n, t) => (n, t.to(st)), c => c["torch_dtype"] = dtype);
        using (var s = ModelLoader.Open(dir.Path))
        {
            Assert.Equal(dtype, s.Config.TorchDtype);
            Assert.Equal(SlimLLM.IO.TensorDTypes.FromScalarType(st), ((HuggingFaceModelSource)s).Store.Info("lm_head.weight").DType);
        }
        FloatTolerance.AssertRelative(Ppl(TestData.TinyStoriesLlama), Ppl(dir.Path));
    }

    [Fact]
    public void Sharded_checkpoint_with_embed_tokens_instead_of_lm_head_gives_identical_perplexity()
    {
        using var dir = TestData.NewTempDir();
        ModelCopies.Transformed(dir.Path, (n, t) => (n == "lm_head.weight" ? "model.embed_tokens.weight" : n, t), maxShardBytes: 700_000);
        Assert.True(File.Exists(Path.Combine(dir.Path, "model.safetensors.index.json")));
        Assert.Equal(Ppl(TestData.TinyStoriesLlama), Ppl(dir.Path));
    }

    [Fact]
    public void Qwen2_config_loads_qkv_biases_and_uses_them()
    {
        using var dir = TestData.NewTempDir();
        ModelCopies.Transformed(dir.Path, (n, t) => (n, t), c => c["architectures"] = new JsonArray("Qwen2ForCausalLM"));
        // Qwen2 requires q/k/v biases: the checkpoint without them is rejected with the tensor named.
        var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => ModelLoader.Open(dir.Path).Dispose());
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", e.Message);

        using var dir2 = TestData.NewTempDir();
        ModelCopies.Transformed(dir2.Path, (n, t) => (n, t), c => c["architectures"] = new JsonArray("Qwen2ForCausalLM"));
        using (var store = SafetensorsStore.Open(dir2.Path))
        {
            var all = store.Names.Select(n => (n, store.Load(n))).ToList();
            for (int l = 0; l < 2; l++)
            {
                all.Add(($"model.layers.{l}.self_attn.q_proj.bias", zeros(128)));
                all.Add(($"model.layers.{l}.self_attn.k_proj.bias", zeros(64)));
                all.Add(($"model.layers.{l}.self_attn.v_proj.bias", full(64, 0.5f)));
            }
            store.Dispose();
            SafetensorsWriter.Write(Path.Combine(dir2.Path, "model.safetensors"), all);
        }
        using var source = ModelLoader.Open(dir2.Path);
        Assert.True(source.Config.Layers[0].Biases is { Q: true, K: true, V: true, O: false });
        // A non-zero v bias shifts every head output: the perplexity must move.
        Assert.NotEqual(Ppl(TestData.TinyStoriesLlama), Ppl(dir2.Path));
    }

    [Fact]
    public void Mismatched_shapes_name_the_tensor_and_both_shapes()
    {
        using var dir = TestData.NewTempDir();
        ModelCopies.Transformed(dir.Path, (n, t) => (n, t), c => c["intermediate_size"] = 400);
        var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => ModelLoader.Open(dir.Path).Dispose());
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("[384, 128]", e.Message);
        Assert.Contains("[400, 128]", e.Message);
    }

    [Fact]
    public void Llama3_rope_scaling_changes_low_frequencies_only()
    {
        var plain = RotaryEmbedding.InverseFrequencies(128, 500000, null);
        var scaled = RotaryEmbedding.InverseFrequencies(128, 500000, new RopeScaling("llama3", 8, 1, 4, 8192));
        Assert.Equal(plain[0], scaled[0]); // highest frequency: wavelength far below 8192/4
        Assert.Equal(plain[^1] / 8, scaled[^1], 12); // lowest frequency: divided by the factor
        Assert.True(scaled.Zip(plain).All(p => p.First <= p.Second));
    }
}
