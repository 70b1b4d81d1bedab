using System.Reflection;

namespace SlimLLM.Build.Tests;

/// <summary>
/// Once per test class: packs SlimLLM.Build (with the slimllm tool inside) into a temporary folder feed under a unique
/// version, and gives every consumer project a NuGet.Config for that feed and a private NUGET_PACKAGES folder.
/// </summary>
public sealed class PackageFeedFixture : IDisposable
{
    public string Root { get; }
    public string Feed => Path.Combine(Root, "feed");
    public string Version { get; } = $"0.1.0-it{DateTime.UtcNow:yyyyMMddHHmmss}";
    public string Configuration { get; }
    public Dictionary<string, string> Env { get; }
    public TimeSpan PackTime { get; }

    public PackageFeedFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), $"slimllm-build-it-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Feed);
        // Stops MSBuild's upward search for Directory.Build.* and Directory.Packages.props at this folder.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "NuGet.Config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="host-packages" value="{HostPackages()}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        Env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };
        Configuration = typeof(PackageFeedFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var pack = DotnetProcess.Run(Paths.RepoRoot, new Dictionary<string, string>(),
            "pack", Path.Combine(Paths.RepoRoot, "src", "SlimLLM.Build", "SlimLLM.Build.csproj"),
            "-c", Configuration, "-o", Feed, $"-p:Version={Version}", "-nodeReuse:false");
        if (pack.ExitCode != 0) throw new InvalidOperationException("dotnet pack SlimLLM.Build failed:\n" + pack.Output);
        PackTime = pack.Elapsed;
        // SlimLLM.Runtime depends on the SlimLLM.Models package (the shared model assembly): both go into the feed.
        foreach (var project in new[] { "SlimLLM.Models", "SlimLLM.Runtime" })
        {
            var packed = DotnetProcess.Run(Paths.RepoRoot, new Dictionary<string, string>(),
                "pack", Path.Combine(Paths.RepoRoot, "src", project, project + ".csproj"),
                "-c", Configuration, "-o", Feed, $"-p:Version={Version}", "-nodeReuse:false");
            if (packed.ExitCode != 0) throw new InvalidOperationException($"dotnet pack {project} failed:\n" + packed.Output);
            PackTime += packed.Elapsed;
        }
    }

    /// <summary>
    /// The host's NuGet global packages folder, used as a folder feed so that SlimLLM.Runtime's dependencies (TorchSharp and
    /// the ~200 MB libtorch package, restored by the repository's own build) are not downloaded again for every test run.
    /// </summary>
    private static string HostPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>A new project folder under the fixture's root holding the given files.</summary>
    public string NewProject(string name, IReadOnlyDictionary<string, string> files)
    {
        var dir = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(dir);
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(dir, file), text);
        return dir;
    }

    public DotnetResult Dotnet(string dir, params string[] args) => DotnetProcess.Run(dir, Env, args);

    public DotnetResult Dotnet(string dir, Action<System.Diagnostics.Process, string> onLine, params string[] args) => DotnetProcess.Run(dir, Env, onLine, args);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
