namespace SlimLLM.Build.Tests;

/// <summary>The repository root and the shared real data beside it (../shared/data, or SLIMLLM_SHARED_DATA).</summary>
public static class Paths
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string SharedData { get; } = FindSharedData();
    public static string Stories260KGguf => Path.Combine(SharedData, "models", "stories260k", "stories260K.gguf");
    public static string TinyStoriesValid => Path.Combine(SharedData, "text", "tinystories-valid.txt");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SlimLLM.Build.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find SlimLLM.Build.sln above " + AppContext.BaseDirectory);
    }

    private static string FindSharedData()
    {
        var env = Environment.GetEnvironmentVariable("SLIMLLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        var candidate = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared", "data"));
        return Directory.Exists(candidate) ? candidate
            : throw new InvalidOperationException($"Shared test data not found at {candidate}; set SLIMLLM_SHARED_DATA.");
    }
}
