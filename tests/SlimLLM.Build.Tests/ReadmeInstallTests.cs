using System.Diagnostics;

namespace SlimLLM.Build.Tests;

/// <summary>
/// The README's Install section as a new user follows it: its pack line on a fresh copy of the working tree (the
/// fixture), its tool lines (global, and local with a tool manifest), then its app lines in a brand-new console app
/// with a slimllm.yaml: `dotnet build` prunes, and the app tells a story with the pruned model.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PackageFeedCollection.Name)]
public sealed class ReadmeInstallTests(PackageFeedFixture feed, ITestOutputHelper log)
{
    private DotnetResult Readme(string dir, string block)
    {
        var r = DotnetProcess.Bash(dir, feed.Env, ReadmeBlocks.Get(block));
        log.WriteLine($"README block '{block}': exit {r.ExitCode}, {r.Elapsed.TotalSeconds:F1} s");
        Assert.True(r.ExitCode == 0, $"README block '{block}' failed:\n{r.Output}");
        return r;
    }

    [Fact]
    public void The_pack_line_packs_the_four_packages_on_a_fresh_copy()
    {
        log.WriteLine($"build/pack.sh on a copy without build outputs: {feed.PackTime.TotalSeconds:F1} s");
        Assert.Equal(["SlimLLM.Build", "SlimLLM.Models", "SlimLLM.Runtime", "SlimLLM.Tool"],
            Directory.GetFiles(feed.Feed, "*.nupkg").Select(f => Path.GetFileName(f)[..^$".{feed.Version}.nupkg".Length]).Order());
    }

    [Fact]
    public void The_tool_lines_install_slimllm_globally_and_in_a_tool_manifest()
    {
        var work = feed.NewProject("tools", new Dictionary<string, string>());
        var global = Readme(work, "tool-global");
        Assert.Contains("You can invoke the tool using the following command: slimllm", global.Output);
        Assert.Contains("init <PATH>       Write a commented starter slimllm.yaml.", global.Output); // slimllm --help ran from PATH
        Assert.True(File.Exists(Path.Combine(feed.Env["DOTNET_CLI_HOME"], ".dotnet", "tools", "slimllm")));

        var local = Readme(work, "tool-local");
        // The .NET 10 SDK writes the manifest beside the command (earlier SDKs under .config/).
        var manifest = new[] { "dotnet-tools.json", ".config/dotnet-tools.json" }.Select(f => Path.Combine(work, f)).FirstOrDefault(File.Exists);
        Assert.True(manifest is not null, local.Output);
        Assert.Contains("init <PATH>       Write a commented starter slimllm.yaml.", local.Output);
        Assert.Contains("\"slimllm.tool\"", File.ReadAllText(manifest).ToLowerInvariant());
        Assert.Contains($"\"version\": \"{feed.Version}\"", File.ReadAllText(manifest));
    }

    [Fact]
    public void The_app_lines_make_a_new_console_app_prune_on_build_and_tell_a_story()
    {
        var clock = Stopwatch.StartNew();
        var parent = feed.NewProject("newapp", new Dictionary<string, string>());
        var created = feed.Dotnet(parent, "new", "console", "-o", "StoryApp");
        Assert.True(created.ExitCode == 0, created.Output);
        var app = Path.Combine(parent, "StoryApp");
        File.WriteAllText(Path.Combine(app, "slimllm.yaml"), $"""
            models:
              - name: tiny-slim
                source:
                  path: {Paths.Stories260KGguf}
                calibration:
                  files: ["{Paths.TinyStoriesValid}"]
                  samples: 8
                  seq_len: 64
                pruning:
                  target: 0.2
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using SlimLLM.Runtime;
            using var model = SlimModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny-slim"), "cpu");
            Console.WriteLine(model.Generate("", new GenerationOptions { MaxNewTokens = 24 }));
            """);

        var build = Readme(app, "app");
        Assert.Matches(@"SlimLLM -> tiny-slim: parameters [\d,]+ → [\d,]+", build.Output);
        // dotnet add package marks the build-time package PrivateAssets="all" (it is a development dependency).
        var project = File.ReadAllText(Path.Combine(app, "StoryApp.csproj"));
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"<PackageReference Include=""SlimLLM.Build""[^>]*>((?!</PackageReference>).)*<PrivateAssets>all</PrivateAssets>",
            System.Text.RegularExpressions.RegexOptions.Singleline), project);
        Assert.True(File.Exists(Path.Combine(app, "bin", "Debug", "net10.0", "models", "tiny-slim", "model.safetensors")), build.Output);

        // One libtorch per machine: the tool installed libtorch-cpu-RID into the NuGet packages folder; the app carries none.
        Assert.True(File.Exists(Path.Combine(feed.Env["NUGET_PACKAGES"], "libtorch-cpu-linux-x64", "2.10.0", ".nupkg.metadata")), build.Output);
        Assert.Empty(Directory.GetFiles(Path.Combine(app, "bin"), "*torch_cpu*", SearchOption.AllDirectories));

        var run = feed.Dotnet(app, "run", "--no-build");
        Assert.True(run.ExitCode == 0, run.Output);
        log.WriteLine($"story: {run.Output.Trim()}");
        Assert.StartsWith("Once upon a", run.Output.Trim());
        log.WriteLine($"new console app to a story (after packing): {clock.Elapsed.TotalSeconds:F1} s");
    }
}
