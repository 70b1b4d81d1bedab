using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class ChannelMultipleCliTests
{
    [Fact]
    public void Every_layer_of_stories260K_gets_an_FFN_width_that_is_a_multiple_of_32_and_the_target_is_still_met()
    {
        // stories260K's FFN is 172 wide in every layer: the unpruned layer too loses its remainder (172 -> 160).
        using var dir = TestData.NewTempDir();
        var r = ToolRunner.Run("prune", "--model", TestData.Stories260KGguf, "-c", TestData.TinyStoriesValid, "--target", "0.2",
            "--channel-multiple", "32", "--samples", "8", "--seq-len", "64", "--no-cache", "-o", dir.File("out"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var provenance = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("out", "slimllm.json"))));
        var layers = provenance.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(5, layers.Count);
        Assert.All(layers, l => Assert.Equal(0, l.GetProperty("kept_channels").GetArrayLength() % 32));
        Assert.Contains(layers, l => l.GetProperty("ratio").GetDouble() == 0 && l.GetProperty("kept_channels").GetArrayLength() == 160);
        Assert.Equal(32, provenance.RootElement.GetProperty("settings").GetProperty("channel_multiple").GetInt32());
        using var report = JsonDocument.Parse(r.Stdout);
        var achieved = report.RootElement.GetProperty("models")[0].GetProperty("parameters").GetProperty("achieved_decoder_reduction").GetDouble();
        // One 32-channel step of one layer is 3 x 64 x 32 = 6,144 of 227,200 decoder parameters (2.7%): the solve lands within one.
        Assert.InRange(achieved, 0.2 - 0.027, 0.2 + 0.027);
    }

    [Fact]
    public void A_channel_multiple_of_zero_is_refused_naming_the_option()
    {
        using var dir = TestData.NewTempDir();
        var r = ToolRunner.Run("prune", "--model", TestData.Stories260KGguf, "-c", TestData.TinyStoriesValid, "--target", "0.2",
            "--channel-multiple", "0", "--no-cache", "-o", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--channel-multiple is 0, outside 1 to 4096", r.Stderr);
    }
}
