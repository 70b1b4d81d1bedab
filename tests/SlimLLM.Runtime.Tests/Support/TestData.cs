namespace SlimLLM.Runtime.Tests.Support;

/// <summary>
/// The shared real test data beside the repository (../shared/data; override with SLIMLLM_SHARED_DATA), located as in
/// SlimLLM.Core.Tests' TestData.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;
    public static string RepoRoot => FindRepoRoot();
    public static string TinyStoriesLlama => Path.Combine(Root, "models", "tinystories-llama");
    public static string TinyStoriesValid => Path.Combine(Root, "text", "tinystories-valid.txt");

    /// <summary>The repository's build of the slimllm tool, in this test assembly's configuration.</summary>
    public static string ToolDll
    {
        get
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            return Path.Combine(FindRepoRoot(), "src", "SlimLLM.Tool", "bin", configuration, "net10.0", "slimllm.dll");
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SlimLLM.Build.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find SlimLLM.Build.sln above " + AppContext.BaseDirectory);
    }

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("SLIMLLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        var candidate = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared", "data"));
        if (!Directory.Exists(candidate))
            throw new InvalidOperationException($"Shared test data not found at {candidate}; set SLIMLLM_SHARED_DATA.");
        return candidate;
    }
}
