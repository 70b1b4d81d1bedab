namespace SlimLLM.Build.Tests;

/// <summary>
/// Once per test run: copies the working tree as a fresh clone would have it (no build outputs) and packs it there with
/// the README's own pack line (build/pack.sh), then gives every consumer project a NuGet.Config in which that folder is
/// the only source of SlimLLM packages, a private NUGET_PACKAGES folder, statistics cache and dotnet home (global tools).
/// </summary>
public sealed class PackageFeedFixture : IDisposable
{
    public string Root { get; }
    public string Clone => Path.Combine(Root, "clone");
    public string Feed => Path.Combine(Clone, "artifacts", "packages");
    public string Version { get; }
    public string Configuration => "Release"; // what build/pack.sh packs
    public Dictionary<string, string> Env { get; }
    public TimeSpan PackTime { get; }
    public string PackOutput { get; }

    public PackageFeedFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), $"slimllm-build-it-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        // Stops MSBuild's upward search for Directory.Build.* and Directory.Packages.props at this folder.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />");
        WorkingTreeCopy.CopyTo(Paths.RepoRoot, Clone);
        var pack = DotnetProcess.Bash(Clone, new Dictionary<string, string>(), ReadmeBlocks.Get("pack"));
        if (pack.ExitCode != 0) throw new InvalidOperationException("the README's pack line failed on a copy of the working tree:\n" + pack.Output);
        PackTime = pack.Elapsed;
        PackOutput = pack.Output;
        var build = Directory.GetFiles(Feed, "SlimLLM.Build.*.nupkg").Single();
        Version = Path.GetFileNameWithoutExtension(build)["SlimLLM.Build.".Length..];
        // SlimLLM packages (and the tests' ModelPackage) come from the packed folder only: a host cache may hold another build
        // of the same version.
        File.WriteAllText(Path.Combine(Root, "NuGet.Config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="host-packages" value="{HostPackages()}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="SlimLLM.*" /><package pattern="ModelPackage" /></packageSource>
                <packageSource key="host-packages"><package pattern="*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        var home = Path.Combine(Root, "home");
        Env = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
            ["SLIMLLM_CACHE"] = Path.Combine(Root, "cache"),
            // `dotnet tool install --global` installs under DOTNET_CLI_HOME/.dotnet/tools, not the user's home.
            ["DOTNET_CLI_HOME"] = home,
            ["PATH"] = Path.Combine(home, ".dotnet", "tools") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
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

/// <summary>One pack for every test class that uses the packages.</summary>
[CollectionDefinition(Name)]
public sealed class PackageFeedCollection : ICollectionFixture<PackageFeedFixture>
{
    public const string Name = "package feed";
}
