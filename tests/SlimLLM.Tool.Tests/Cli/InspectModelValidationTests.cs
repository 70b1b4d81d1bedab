using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

/// <summary>What the tool makes of a config.json the model loader refuses (SlimLLM.Models.Tests checks the refusals themselves).</summary>
public class InspectModelValidationTests
{
    [Theory]
    [InlineData(1_000_000_000)]
    [InlineData(-1)]
    [InlineData(0)]
    public void Bad_layer_count_exits_2_with_one_line_from_the_tool_in_seconds(int layers)
    {
        // Before: -1 and 0 crashed with a stack trace; 1,000,000,000 took 7.8 GB before its error.
        using var dir = ModelCopies.WithConfig(c => c["num_hidden_layers"] = layers);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = ToolRunner.Run("inspect", dir.Path);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {dir.File("config.json")}: \"num_hidden_layers\" is {layers}; it must be ", line);
    }
}
