namespace SlimLLM.Tests.Support;

/// <summary>
/// Locates the shared real test data (models and text) that lives beside the repository in ../shared/data.
/// Override with SLIMLLM_SHARED_DATA.
/// </summary>
public static class TestData
{
    public static string Root => SlimLLM.Testing.RepositoryLayout.SharedData;
    public static string RepoRoot => SlimLLM.Testing.RepositoryLayout.RepoRoot;

    public static string TinyStoriesLlama => Path.Combine(Root, "models", "tinystories-llama");
    public static string Stories260KGguf => Path.Combine(Root, "models", "stories260k", "stories260K.gguf");
    public static string TinyStoriesValid => Path.Combine(Root, "text", "tinystories-valid.txt");
    public static string WikiText2Test => Path.Combine(Root, "text", "wikitext2-test.raw.txt");
    public static string CorpusEn => Path.Combine(Root, "text", "corpus-en.txt");
    public static string GreedySelectFixture => Path.Combine(Root, "fixtures", "greedy_select.json");

    /// <summary>A fresh empty folder under the system temp folder, removed when the process ends is not guaranteed: tests dispose it.</summary>
    public static TempDir NewTempDir(string prefix = "slimllm-test") => new(prefix);
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

    /// <summary>A writable copy of the tinystories-llama folder as <paramref name="name"/> in this folder; returns its path.</summary>
    public string CopyOfTinyStoriesLlama(string name = "model")
    {
        var copy = File(name);
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama)) System.IO.File.Copy(f, System.IO.Path.Combine(copy, System.IO.Path.GetFileName(f)));
        return copy;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
