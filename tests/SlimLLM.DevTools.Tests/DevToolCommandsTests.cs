using System.Text.RegularExpressions;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests;

/// <summary>bench, synth and compare are the developers' (slimllm-dev), not the user tool's (slimllm).</summary>
public class DevToolCommandsTests
{
    private static readonly string[] DevCommands = ["bench", "synth", "compare"];

    [Fact]
    public void Slimllm_help_lists_no_developer_command_and_slimllm_dev_help_lists_them_all()
    {
        var user = ToolRunner.Run("--help");
        Assert.True(user.ExitCode == 0, user.Stderr);
        var userCommands = Commands(user.Stdout);
        Assert.Contains("prune", userCommands);
        Assert.Contains("backend", userCommands);
        Assert.Empty(userCommands.Intersect(DevCommands));

        var dev = ToolRunner.RunDev("--help");
        Assert.True(dev.ExitCode == 0, dev.Stderr);
        Assert.Equal(DevCommands.Order(), Commands(dev.Stdout).Order());
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("synth")]
    [InlineData("compare")]
    public void Slimllm_rejects_a_developer_command_as_bad_input(string command)
    {
        var r = ToolRunner.Run(command);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Run 'slimllm --help'.", r.Stderr);
    }

    /// <summary>The command names of a --help's "Commands:" section.</summary>
    private static List<string> Commands(string help) =>
        help[help.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n').Skip(1)
            .Select(l => Regex.Match(l, @"^  (\S+)").Groups[1].Value).Where(n => n.Length > 0).ToList();
}
