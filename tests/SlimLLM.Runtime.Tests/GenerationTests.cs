using SlimLLM.Errors;
using SlimLLM.Runtime.Tests.Support;

namespace SlimLLM.Runtime.Tests;

public sealed class GenerationTests(DenseModelFixture dense) : IClassFixture<DenseModelFixture>
{
    private SlimModel Model => dense.Model;

    [Fact]
    public void Greedy_FromBos_TellsTheLilyStory()
    {
        var text = Model.Generate("", new GenerationOptions { MaxNewTokens = 20 });
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", text);
    }

    [Fact]
    public void Sampling_WithFixedSeed_IsDeterministic_AndDiffersFromGreedy()
    {
        var sampled = new GenerationOptions { MaxNewTokens = 32, Temperature = 1.0, Seed = 1234 };
        var first = Model.GenerateTokens([1], sampled);
        var second = Model.GenerateTokens([1], sampled);
        var otherSeed = Model.GenerateTokens([1], sampled with { Seed = 99 });
        var greedy = Model.GenerateTokens([1], new GenerationOptions { MaxNewTokens = 32 });
        Assert.Equal(first, second);
        Assert.NotEqual(greedy, first);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void TinyTopP_EqualsGreedy()
    {
        var greedy = Model.GenerateTokens([1], new GenerationOptions { MaxNewTokens = 32 });
        var nucleus = Model.GenerateTokens([1], new GenerationOptions { MaxNewTokens = 32, Temperature = 1.5, TopP = 1e-6, Seed = 7 });
        Assert.Equal(32, greedy.Length);
        Assert.Equal(greedy, nucleus);
    }

    [Fact]
    public void Streaming_PiecesConcatenateToGenerate()
    {
        var options = new GenerationOptions { MaxNewTokens = 24 };
        var pieces = Model.GenerateStreaming("Tom had a red ball", options).ToList();
        Assert.True(pieces.Count > 5, $"only {pieces.Count} pieces");
        Assert.Equal(Model.Generate("Tom had a red ball", options), string.Concat(pieces));
    }

    [Fact]
    public void StopAtEosFalse_RunsToMaxNewTokens()
    {
        var ids = Model.GenerateTokens([1], new GenerationOptions { MaxNewTokens = 300, StopAtEos = false });
        Assert.Equal(300, ids.Length);
    }

    [Fact]
    public void Load_MissingFolder_ThrowsSlimLLMExceptionNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-model-{Guid.NewGuid():N}");
        var ex = Assert.Throws<SlimLLMException>(() => SlimModel.Load(missing, "cpu"));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("no such file or folder", ex.Message);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow_AndGenerateAfterwardsIsRefused()
    {
        var model = SlimModel.Load(TestData.TinyStoriesLlama, "cpu");
        Assert.Equal("cpu", model.Device);
        Assert.Equal("Once upon a time,", model.Generate("", new GenerationOptions { MaxNewTokens = 4 }).Trim());
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Generate("Hi"));
    }
}
