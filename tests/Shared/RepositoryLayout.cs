namespace SlimLLM.Testing;

/// <summary>
/// Where the repository and the shared real test data (../shared/data beside it; override with SLIMLLM_SHARED_DATA) are.
/// Linked into every test project so that all of them find the data the same way.
/// </summary>
internal static class RepositoryLayout
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);
    private static readonly Lazy<string> SharedDataLazy = new(FindSharedData);

    public static string RepoRoot => RepoRootLazy.Value;
    public static string SharedData => SharedDataLazy.Value;

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SlimLLM.Build.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find SlimLLM.Build.sln above " + AppContext.BaseDirectory);
    }

    private static string FindSharedData()
    {
        var env = Environment.GetEnvironmentVariable("SLIMLLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        var candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
        if (!Directory.Exists(candidate))
            throw new InvalidOperationException($"Shared test data not found at {candidate}; set SLIMLLM_SHARED_DATA.");
        return candidate;
    }
}
