using SlimLLM.Export;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>Our own GGUF reader (<see cref="GgufModelSource"/>) reads the exported pruned model back to the same model.</summary>
[Collection(PrunedExportCollection.Name)]
public class GgufRoundTripTests(PrunedExportFixture f, ITestOutputHelper output)
{
    [Fact]
    public void Configuration_and_every_weight_read_back_unchanged_from_f32()
    {
        using var gguf = ModelLoader.Open(f.F32.Path);
        var expected = f.Source.Config;
        Assert.Equal(expected.Layers, gguf.Config.Layers);
        Assert.Equal(expected with { Layers = gguf.Config.Layers }, gguf.Config);
        AssertIdentical(f.Source.LoadEmbedding(), gguf.LoadEmbedding());
        AssertIdentical(f.Source.LoadLmHead(), gguf.LoadLmHead());
        AssertIdentical(f.Source.LoadFinalNorm(), gguf.LoadFinalNorm());
        for (int i = 0; i < expected.NumLayers; i++)
        {
            using var a = f.Source.LoadLayer(i);
            using var b = gguf.LoadLayer(i);
            var named = b.Named().ToDictionary(t => t.Suffix, t => t.Tensor);
            Assert.Equal(a.Named().Select(t => t.Suffix), named.Keys);
            foreach (var (suffix, tensor) in a.Named())
                Assert.True(TensorAssert.Same(tensor, named[suffix]), $"layer {i} {suffix} differs");
        }
    }

    [Fact]
    public void Logits_from_the_f32_file_are_identical_and_from_f16_close()
    {
        using var f32 = ModelLoader.Open(f.F32.Path);
        using var f16 = ModelLoader.Open(f.F16.Path);
        using var fromF32 = LlamaModel.Load(f32, CPU, ScalarType.Float32);
        using var fromF16 = LlamaModel.Load(f16, CPU, ScalarType.Float32);
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = f.Source.Tokenizer.Encode(prompt, addBos: true);
            var ours = ExportComparison.OurLogits(f.Ours, ids);
            Assert.Equal(0, ExportComparison.MaxAbsDiff(ours, ExportComparison.OurLogits(fromF32, ids)));
            var half = ExportComparison.MaxAbsDiff(ours, ExportComparison.OurLogits(fromF16, ids));
            output.WriteLine($"{prompt}: F16 file, max |logit difference| {half:E3}");
            Assert.InRange(half, 1e-6, 0.03); // f16 rounding of the weights shows, but stays small
        }
    }

    [Fact]
    public void The_vocabulary_written_from_tokenizer_json_tokenizes_the_text_as_the_original()
    {
        using var gguf = ModelLoader.Open(f.F32.Path);
        var text = SlimLLM.Evaluation.TextCorpus.Read(Support.TestData.TinyStoriesValid);
        Assert.Equal(f.Tokens, gguf.Tokenizer.Encode(text, addBos: true));
        Assert.Equal(f.Source.Tokenizer.BosId, gguf.Tokenizer.BosId);
        Assert.Equal(f.Source.Tokenizer.EosId, gguf.Tokenizer.EosId);
        Assert.Equal(text, gguf.Tokenizer.Decode(f.Tokens));
    }

    private static void AssertIdentical(Tensor expected, Tensor actual)
    {
        using (expected)
        using (actual)
            Assert.True(TensorAssert.Same(expected, actual));
    }
}
