namespace SlimLLM.Tests.Support;

/// <summary>
/// Locates the shared real test data (models and text) that lives beside the repository in ../shared/data.
/// Override with SLIMLLM_SHARED_DATA.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;
    public static string RepoRoot => FindRepoRoot();

    public static string TinyStoriesLlama => Path.Combine(Root, "models", "tinystories-llama");
    public static string Stories260KGguf => Path.Combine(Root, "models", "stories260k", "stories260K.gguf");
    public static string TinyStoriesValid => Path.Combine(Root, "text", "tinystories-valid.txt");
    public static string WikiText2Test => Path.Combine(Root, "text", "wikitext2-test.raw.txt");
    public static string CorpusEn => Path.Combine(Root, "text", "corpus-en.txt");
    public static string GreedySelectFixture => Path.Combine(Root, "fixtures", "greedy_select.json");

    /// <summary>A fresh empty folder under the system temp folder, removed when the process ends is not guaranteed: tests dispose it.</summary>
    public static TempDir NewTempDir(string prefix = "slimllm-test") => new(prefix);

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

public sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
