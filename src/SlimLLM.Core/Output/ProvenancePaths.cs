namespace SlimLLM.Output;

/// <summary>
/// How slimllm.json names the files a prune read, so that the same inputs give the same bytes wherever the project lies:
/// relative to the manifest's folder, with '/' on every platform; without a manifest (the command line) nothing anchors a
/// relative path, so only the file or folder name is kept.
/// </summary>
public static class ProvenancePaths
{
    public static string Of(string path, string? root)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var written = root is null ? Path.GetFileName(full) : Path.GetRelativePath(Path.GetFullPath(root), full);
        return written.Replace(Path.DirectorySeparatorChar, '/');
    }
}
