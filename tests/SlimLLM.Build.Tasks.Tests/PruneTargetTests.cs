using SlimLLM.Build.Tests;
using SlimLLM.Testing;

namespace SlimLLM.Build.Tasks.Tests;

/// <summary>
/// SlimLLM.Build.targets in a real MSBuild process with a copy of the fake tool: a small project with two manifests, and
/// which prunes each build runs. (The package and the real tool are tested in SlimLLM.Build.Tests.)
/// </summary>
public sealed class PruneTargetTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"slimllm-targets-{Guid.NewGuid():N}");
    private readonly FakeTool _a = new(), _b = new();

    public PruneTargetTests()
    {
        var tool = Path.Combine(_root, "tool");
        Directory.CreateDirectory(tool);
        var fakeDir = Path.GetDirectoryName(FakeTool.Assembly)!;
        foreach (var file in new[] { "FakeSlimLLM.dll", "FakeSlimLLM.runtimeconfig.json", "FakeSlimLLM.deps.json" })
            File.Copy(Path.Combine(fakeDir, file), Path.Combine(tool, file));
        // Stands for the engine beside the entry assembly: a glob of the tool folder finds it, nothing loads it.
        File.WriteAllText(Path.Combine(tool, "SlimLLM.Core.dll"), "engine");
        foreach (var fake in new[] { _a, _b })
        {
            Directory.CreateDirectory(fake.PathOf("out/m"));
            File.WriteAllText(fake.PathOf("calib.txt"), "Once upon a time");
            fake.Script(Reports.Of([Reports.Model("m", fake.PathOf("out/m"), inputs: [fake.PathOf("calib.txt")])]));
        }
        var build = Path.Combine(RepositoryLayout.RepoRoot, "src", "SlimLLM.Build", "build");
        File.WriteAllText(Path.Combine(_root, "app.proj"), $"""
            <Project>
              <Import Project="{build}/SlimLLM.Build.props" />
              <PropertyGroup>
                <SlimLLMTaskAssembly>{Path.Combine(AppContext.BaseDirectory, "SlimLLM.Build.dll")}</SlimLLMTaskAssembly>
                <SlimLLMToolPath>{Path.Combine(tool, "FakeSlimLLM.dll")}</SlimLLMToolPath>
                <IntermediateOutputPath>obj/</IntermediateOutputPath>
              </PropertyGroup>
              <ItemGroup>
                <SlimLLMManifest Include="{_a.Manifest};{_b.Manifest}" />
              </ItemGroup>
              <Import Project="{build}/SlimLLM.Build.targets" />
            </Project>
            """);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private (int A, int B) Build()
    {
        var r = DotnetProcess.Run(_root, new Dictionary<string, string>(), "msbuild", "app.proj", "-t:SlimLLMPruneModels", "-nodeReuse:false", "-v:n");
        Assert.True(r.ExitCode == 0, r.Output);
        return (_a.Runs, _b.Runs);
    }

    private static void Touch(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow);

    [Fact]
    public void Each_manifest_prunes_again_only_when_one_of_its_own_inputs_or_the_engine_changes_or_its_output_is_gone()
    {
        Assert.Equal((1, 1), Build());
        Assert.Equal((1, 1), Build());

        Touch(_a.PathOf("calib.txt"));
        Assert.Equal((2, 1), Build());

        Touch(_b.Manifest);
        Assert.Equal((2, 2), Build());

        Touch(Path.Combine(_root, "tool", "SlimLLM.Core.dll"));
        Assert.Equal((3, 3), Build());

        Directory.Delete(_b.PathOf("out/m"));
        Assert.Equal((3, 4), Build());
    }
}
