using SlimLLM.Testing;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Evaluation;

/// <summary>Perplexities of the shared real models, pinned to the values measured when the forward pass was verified by generation.</summary>
public class PerplexityTests
{
    internal static double Measure(string model, string text, long? maxTokens = null, int seqLen = 128)
    {
        using var source = ModelLoader.Open(model);
        using var llama = LlamaModel.Load(source, CPU, ScalarType.Float32);
        var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(text), maxTokens);
        return Perplexity.Evaluate(llama, tokens, seqLen).Perplexity;
    }

    [Theory]
    [InlineData("tinystories-llama", "tinystories", null, 44.5821)]
    [InlineData("tinystories-llama", "wikitext2", 65536L, 979.370)]
    [InlineData("stories260k", "tinystories", null, 5.97841)]
    [InlineData("stories260k", "wikitext2", 65536L, 133.811)]
    public void Perplexity_of_shared_models_is_pinned(string model, string text, long? maxTokens, double expected)
    {
        var modelPath = model == "stories260k" ? TestData.Stories260KGguf : TestData.TinyStoriesLlama;
        var textPath = text == "wikitext2" ? TestData.WikiText2Test : TestData.TinyStoriesValid;
        var ppl = Measure(modelPath, textPath, maxTokens);
        Assert.InRange(ppl, expected * 0.999, expected * 1.001);
    }

    [Fact]
    public void Windows_are_non_overlapping_and_the_partial_tail_is_dropped()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var llama = LlamaModel.Load(source, CPU, ScalarType.Float32);
        var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid));
        Assert.Equal(source.Tokenizer.BosId, tokens[0]);
        Assert.Equal(1, tokens.Count(t => t == source.Tokenizer.BosId));
        var full = Perplexity.Evaluate(llama, tokens, 128);
        Assert.Equal(tokens.Length / 128, full.Windows);
        Assert.Equal(full.Windows * 127L, full.PredictedTokens);
        // Adding fewer than 128 tokens at the end changes nothing; batching changes nothing.
        var trimmed = Perplexity.Evaluate(llama, tokens[..(full.Windows * 128 + 5)], 128, batchSize: 3);
        FloatTolerance.AssertRelative(full.MeanNll, trimmed.MeanNll);
    }

    [Fact]
    public void Crlf_is_read_as_lf()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("a.txt"), "one\r\ntwo\r\n");
        Assert.Equal("one\ntwo\n", TextCorpus.Read(dir.File("a.txt")));
    }
}
