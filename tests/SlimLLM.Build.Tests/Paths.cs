namespace SlimLLM.Build.Tests;

/// <summary>The repository root and the shared real data beside it (../shared/data, or SLIMLLM_SHARED_DATA).</summary>
public static class Paths
{
    public static string RepoRoot => SlimLLM.Testing.RepositoryLayout.RepoRoot;
    public static string SharedData => SlimLLM.Testing.RepositoryLayout.SharedData;
    public static string Stories260KGguf => Path.Combine(SharedData, "models", "stories260k", "stories260K.gguf");
    public static string TinyStoriesValid => Path.Combine(SharedData, "text", "tinystories-valid.txt");
}
