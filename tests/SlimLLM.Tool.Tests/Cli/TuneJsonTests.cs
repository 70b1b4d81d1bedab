using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class TuneJsonTests
{
    [Fact]
    public void Tune_json_reports_the_peak_resident_memory_of_the_run()
    {
        using var dir = TestData.NewTempDir();
        var pruned = ToolRunner.Run("prune", "--model", TestData.TinyStoriesLlama, "-c", TestData.TinyStoriesValid, "--out", dir.File("pruned"),
            "--target", "0.2", "--samples", "4", "--seq-len", "32", "--device", "cpu", "--no-cache");
        Assert.True(pruned.ExitCode == 0, pruned.Stderr);
        var tuned = ToolRunner.Run("tune", "--model", dir.File("pruned"), "--text", TestData.TinyStoriesValid, "--out", dir.File("tuned"),
            "--steps", "1", "--batch-size", "2", "--seq-len", "32", "--device", "cpu", "--no-cache", "--json");
        Assert.True(tuned.ExitCode == 0, tuned.Stderr);
        using var json = JsonDocument.Parse(tuned.Stdout);
        // libtorch alone makes the process resident beyond 50 MB; the tiny model and 2 x 32 tokens stay far below 2 GB.
        Assert.InRange(json.RootElement.GetProperty("peak_rss_bytes").GetInt64(), 50_000_000, 2_000_000_000);
        Assert.Equal(1, json.RootElement.GetProperty("backward_passes").GetInt64());
    }
}
