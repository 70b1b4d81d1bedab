namespace SlimLLM.Manifest;

/// <summary>A loaded and validated slimllm.yaml: every path in it is absolute.</summary>
/// <param name="Path">The manifest file, absolute.</param>
/// <param name="CacheDir">The manifest's <c>cache:</c> folder, absolute, or null when it names none.</param>
public sealed record PruneManifest(string Path, string? CacheDir, IReadOnlyList<ModelSpec> Models)
{
    /// <summary>The folder relative paths in the manifest are resolved from.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(Path)!;
}
