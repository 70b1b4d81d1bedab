using System.Security.Cryptography;
using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class CriterionOptionTests
{
    private static (JsonElement Provenance, string WeightsHash) Prune(TempDir dir, string name, params string[] options)
    {
        var output = dir.File(name);
        var r = ToolRunner.Run(["prune", "--model", TestData.Stories260KGguf, "--calibration", TestData.TinyStoriesValid, "--samples", "8",
            "--seq-len", "32", "--target", "0.3", "--no-cache", "--device", "cpu", "--out", output, .. options]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var provenance = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "slimllm.json"))).RootElement.Clone();
        return (provenance, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(output, "model.safetensors")))));
    }

    private static string KeptChannels(JsonElement provenance) =>
        string.Join(";", provenance.GetProperty("layers").EnumerateArray().Select(l => string.Join(",", l.GetProperty("kept_channels").EnumerateArray().Select(c => c.GetInt32()))));

    /// <remarks>
    /// The two runs spell one combination from either side; were either option ignored they would be SlimLLM's and FLAP's own
    /// selections, which keep different channels on this model.
    /// </remarks>
    [Fact]
    [Trait("Category", "Slow")]
    public void An_ffn_criterion_takes_the_channels_by_that_criterion_and_is_recorded()
    {
        using var dir = TestData.NewTempDir();
        var mixed = Prune(dir, "mixed", "--ffn-criterion", "flap", "--recovery", "regression");
        // The same combination spelled from the other side: FLAP's method with SlimLLM's heads.
        var mirrored = Prune(dir, "mirrored", "--method", "flap", "--attention-criterion", "slimllm", "--recovery", "regression");

        var settings = mixed.Provenance.GetProperty("settings");
        Assert.Equal("slimllm", settings.GetProperty("attention_criterion").GetString());
        Assert.Equal("flap", settings.GetProperty("ffn_criterion").GetString());
        Assert.Equal(KeptChannels(mixed.Provenance), KeptChannels(mirrored.Provenance));
        Assert.Equal(mixed.WeightsHash, mirrored.WeightsHash);
    }
}
