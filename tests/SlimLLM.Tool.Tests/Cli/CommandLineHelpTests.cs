using System.Diagnostics;
using System.Text.RegularExpressions;
using SlimLLM.Tests.Support;
using SlimLLM.Tool.Commands;

namespace SlimLLM.Tests.Cli;

/// <summary>A command line that helps: did-you-mean for typos, --offline, one number format, readable JSON, the libstdc++ fix.</summary>
public class CommandLineHelpTests
{
    [Theory]
    [InlineData(new[] { "prnue" }, "error: unknown command 'prnue' for 'slimllm'. Did you mean 'prune'?", "Run 'slimllm --help'.")]
    [InlineData(new[] { "prune", "--targt", "0.2" }, "error: unknown option '--targt' for 'slimllm prune'. Did you mean '--target'?", "Run 'slimllm prune --help'.")]
    [InlineData(new[] { "prune", "--model", "m", "--targt", "0.2" }, "error: unknown option '--targt' for 'slimllm prune'. Did you mean '--target'?", "Run 'slimllm prune --help'.")]
    [InlineData(new[] { "cache", "lss" }, "error: unknown command 'lss' for 'slimllm cache'. Did you mean 'ls'?", "Run 'slimllm cache --help'.")]
    [InlineData(new[] { "cache", "ls", "--jsn" }, "error: unknown option '--jsn' for 'slimllm cache ls'. Did you mean '--json'?", "Run 'slimllm cache ls --help'.")]
    [InlineData(new[] { "doctor", "--quite" }, "error: unknown option '--quite' for 'slimllm doctor'. Did you mean '--quiet'?", "Run 'slimllm doctor --help'.")]
    [InlineData(new[] { "inspect", "--zzzzzz" }, "error: unknown option '--zzzzzz' for 'slimllm inspect'.", "Run 'slimllm inspect --help'.")]
    public void A_typo_is_named_with_the_closest_command_or_option(string[] args, string error, string help)
    {
        var r = ToolRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal([error, help], r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void A_negative_number_is_a_value_not_an_unknown_option()
    {
        var r = ToolRunner.Run("prune", "--model", "m", "--target", "-0.2");
        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain("unknown option", r.Stderr);
    }

    [Theory]
    [InlineData("--ffn-criterion")]
    [InlineData("--attention-criterion")]
    public void An_unknown_criterion_is_named_with_its_option(string option)
    {
        using var dir = TestData.NewTempDir();
        var r = ToolRunner.Run("prune", "--model", TestData.TinyStoriesLlama, "--calibration", TestData.TinyStoriesValid, "--target", "0.2",
            "--out", dir.File("out"), option, "flp");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: {option} 'flp' is not a pruning criterion. Use one of: slimllm, magnitude, wanda-sp, flap.", r.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void Prune_offline_resolves_from_the_cache_and_never_downloads()
    {
        using var dir = TestData.NewTempDir();
        var feed = dir.File("feed");
        SlimLLM.Tests.Sources.TestPackages.Build(feed, "1.0.0", SlimLLM.Tests.Sources.TestPackages.ModelFiles(TestData.TinyStoriesLlama));
        File.WriteAllText(dir.File("slimllm.yaml"), $"""
            cache: cache
            models:
              - name: from-feed
                source:
                  nuget: "{SlimLLM.Tests.Sources.TestPackages.Id}@[1.0,2.0)"
                  feed: {feed}
                calibration:
                  files: ["{TestData.TinyStoriesValid}"]
                  samples: 4
                  seq_len: 32
                pruning:
                  target: 0.2
            """);
        var env = new Dictionary<string, string> { ["SLIMLLM_CACHE"] = "", ["NUGET_PACKAGES"] = dir.File("gpf") };

        var cold = ToolRunner.RunIn(dir.Path, env, "prune", "--offline");
        Assert.Equal(2, cold.ExitCode);
        Assert.Contains("offline mode: no cached version matches '[1.0,2.0)'", cold.Stderr);
        Assert.Contains("Run once without --offline to download it.", cold.Stderr);
        Assert.False(Directory.Exists(dir.File("cache/nuget")), "--offline extracted the package");
        Assert.False(Directory.Exists(dir.File("out/from-feed")));

        var online = ToolRunner.RunIn(dir.Path, env, "prune");
        Assert.True(online.ExitCode == 0, online.Stderr);
        var pruned = File.ReadAllBytes(dir.File("out/from-feed/model.safetensors"));
        // A newer version in the feed (a config without weights): online would take it and fail; offline keeps to the cached 1.0.0.
        SlimLLM.Tests.Sources.TestPackages.Build(feed, "1.1.0", SlimLLM.Tests.Sources.TestPackages.ConfigOnly(TestData.TinyStoriesLlama));
        var offline = ToolRunner.RunIn(dir.Path, env, "prune", "--offline");
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        Assert.Contains("1.0.0", offline.Stderr);
        Assert.False(Directory.Exists(dir.File("cache/nuget/" + SlimLLM.Tests.Sources.TestPackages.Id.ToLowerInvariant() + "/1.1.0")));
        Assert.Equal(pruned, File.ReadAllBytes(dir.File("out/from-feed/model.safetensors")));
    }

    [Fact]
    public void Changes_are_printed_one_way_with_a_sign_one_decimal_and_no_space()
    {
        using var dir = TestData.NewTempDir();
        var r = ToolRunner.Run("prune", "--model", TestData.Stories260KGguf, "--calibration", TestData.TinyStoriesValid, "--samples", "4", "--seq-len", "32",
            "--target", "0.2", "--eval", TestData.TinyStoriesValid, "--max-tokens", "1024", "--out", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"parameters [\d,]+ -> [\d,]+ \(decoder layers -\d+\.\d%, target -20\.0%\)", r.Stdout);
        Assert.Matches(@"tinystories-valid\.txt: perplexity \d+\.\d{3} -> \d+\.\d{3} \([+-]\d+\.\d%\)", r.Stdout);
        Assert.Matches(@"perplexity \d+\.\d{3} dense -> \d+\.\d{3} pruned \([+-]\d+\.\d%\)", r.Stderr);
        Assert.DoesNotMatch(@"\d %", r.Stdout + r.Stderr);
    }

    [Fact]
    public void Json_for_people_has_no_needless_escapes()
    {
        var cache = Path.Combine(Path.GetTempPath(), "slimllm-doctor-" + Guid.NewGuid().ToString("N"));
        var r = ToolRunner.RunIn(null, new Dictionary<string, string> { ["NUGET_PACKAGES"] = cache }, "doctor", "--json", "--cache-dir", cache);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"name\": \"libstdc++\"", r.Stdout);
        Assert.DoesNotContain("\\u00", r.Stdout);
    }

    [Fact]
    public void The_libstdcxx_fix_prints_the_apt_commands_build_setup_sh_runs()
    {
        var fix = LibstdcxxFix.Text(debian: true).Split('\n');
        Assert.Equal(LibstdcxxFix.DebianCommands, fix[1..]);
        var setup = File.ReadAllText(Path.Combine(TestData.RepoRoot, "build", "setup.sh"));
        // The two files get exactly the lines setup.sh writes (the printf run by bash, the heredoc read from the script)...
        foreach (var (file, marker) in new[] { ("/etc/apt/sources.list.d/slimllm-trixie.sources", "SRC"), ("/etc/apt/preferences.d/slimllm-trixie", "PIN") })
        {
            var expected = Regex.Match(setup, $@"{Regex.Escape(file)} >/dev/null <<'{marker}'\n(.*?\n){marker}\n", RegexOptions.Singleline).Groups[1].Value;
            Assert.NotEqual("", expected);
            var command = Assert.Single(LibstdcxxFix.DebianCommands, c => c.EndsWith("sudo tee " + file));
            var printf = command[..command.IndexOf(" | sudo tee", StringComparison.Ordinal)];
            using var bash = Process.Start(new ProcessStartInfo("bash", ["-c", printf]) { RedirectStandardOutput = true })!;
            var written = bash.StandardOutput.ReadToEnd();
            bash.WaitForExit();
            Assert.Equal(expected, written);
        }
        // ...and the same package from the same suite is installed.
        Assert.Contains("apt-get install -y -qq -t trixie libstdc++6", setup);
        Assert.Equal("sudo apt-get install -y -t trixie libstdc++6", fix[^1]);
        Assert.DoesNotContain("build/setup.sh", LibstdcxxFix.Text(debian: false));
    }
}
