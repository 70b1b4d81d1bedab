using SlimLLM.Testing;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Evaluation;

/// <summary>The layer-by-layer perplexity gives the whole-model perplexity, window for window.</summary>
public class StreamingPerplexityTests
{
    [Theory]
    [InlineData("tinystories-llama", 128)]
    [InlineData("stories260k", 64)]
    public void Streaming_perplexity_equals_the_whole_model_perplexity(string model, int seqLen)
    {
        using var source = ModelLoader.Open(model == "stories260k" ? TestData.Stories260KGguf : TestData.TinyStoriesLlama);
        // 8,300 tokens: windows in several batches of 8 and a partial tail that both drop.
        var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(TestData.WikiText2Test), 8300);
        using var whole = LlamaModel.Load(source, CPU, ScalarType.Float32, Math.Max(seqLen, 128));
        var expected = Perplexity.Evaluate(whole, tokens, seqLen);
        var streamed = StreamingPerplexity.Evaluate(source, tokens, seqLen, ComputeDevice.Resolve("cpu"));
        Assert.Equal(expected.Windows, streamed.Windows);
        Assert.Equal(expected.PredictedTokens, streamed.PredictedTokens);
        FloatTolerance.AssertRelative(expected.MeanNll, streamed.MeanNll);
    }

    [Fact]
    public void Progress_counts_the_layers_and_the_head()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 1024);
        var progress = new RecordingProgress();
        StreamingPerplexity.Evaluate(source, tokens, 128, ComputeDevice.Resolve("cpu"), progress: progress, phase: "ppl");
        int steps = source.Config.NumLayers + 1;
        Assert.Equal(Enumerable.Range(0, steps + 1).Select(i => ("ppl", (long)i, (long)steps)), progress.Reports);
    }
}
