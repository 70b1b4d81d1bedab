namespace SlimLLM.Runtime.Tests.Support;

/// <summary>
/// The shared real test data beside the repository (../shared/data; override with SLIMLLM_SHARED_DATA), located by the
/// RepositoryLayout every test project links in.
/// </summary>
public static class TestData
{
    public static string Root => SlimLLM.Testing.RepositoryLayout.SharedData;
    public static string RepoRoot => SlimLLM.Testing.RepositoryLayout.RepoRoot;
    public static string TinyStoriesLlama => Path.Combine(Root, "models", "tinystories-llama");
    public static string TinyStoriesValid => Path.Combine(Root, "text", "tinystories-valid.txt");

    /// <summary>This test assembly's build configuration, which the solution build gave every project.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The repository's build of the slimllm tool, in this test assembly's configuration.</summary>
    public static string ToolDll =>
        Path.Combine(SlimLLM.Testing.RepositoryLayout.RepoRoot, "src", "SlimLLM.Tool", "bin", Configuration, "net10.0", "slimllm.dll");
}
