namespace SlimLLM.Output;

/// <summary>
/// Builds a folder under a temporary name beside its destination and swaps it in at the end, so readers never see a
/// half-written model: on failure the temporary folder is removed and any previous output is left untouched.
/// </summary>
public sealed class AtomicFolder : IDisposable
{
    private bool _committed;

    public AtomicFolder(string destination)
    {
        Destination = Path.GetFullPath(destination);
        var parent = Path.GetDirectoryName(Destination)!;
        Directory.CreateDirectory(parent);
        TempPath = Path.Combine(parent, $".{Path.GetFileName(Destination)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(TempPath);
    }

    public string Destination { get; }
    /// <summary>Write everything here; it becomes <see cref="Destination"/> on <see cref="Commit"/>.</summary>
    public string TempPath { get; }

    public void Commit()
    {
        string? old = null;
        if (Directory.Exists(Destination))
        {
            old = Path.Combine(Path.GetDirectoryName(Destination)!, $".{Path.GetFileName(Destination)}.old-{Guid.NewGuid():N}");
            Directory.Move(Destination, old);
        }
        try
        {
            Directory.Move(TempPath, Destination);
        }
        catch
        {
            if (old is not null) Directory.Move(old, Destination);
            throw;
        }
        _committed = true;
        if (old is not null) TryDelete(old);
    }

    public void Dispose()
    {
        if (!_committed) TryDelete(TempPath);
    }

    private static void TryDelete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
