
namespace SlimLLM.IO;

/// <summary>
/// Builds a folder under a temporary name beside its destination and swaps it in at the end, so readers never see a
/// half-written model: on failure the temporary folder is removed and any previous output is left untouched. Whether a
/// destination may be replaced at all is the caller's decision (SlimLLM.Output.OutputFolderGuard); the temporary names carry
/// the owner (<see cref="TempOwner"/>) so that SlimLLM.Output.StaleTemps can remove what a killed run left.
/// </summary>
public sealed class AtomicFolder : IDisposable
{
    private bool _committed;

    public AtomicFolder(string destination)
    {
        Destination = Path.GetFullPath(destination);
        var parent = Path.GetDirectoryName(Destination)!;
        Directory.CreateDirectory(parent);
        TempPath = Path.Combine(parent, TempPrefix(Destination) + TempOwner.NewSuffix());
        Directory.CreateDirectory(TempPath);
    }

    public string Destination { get; }
    /// <summary>Write everything here; it becomes <see cref="Destination"/> on <see cref="Commit"/>.</summary>
    public string TempPath { get; }

    /// <summary>The name prefix of the temporary folders for <paramref name="destination"/> (a hidden name beside it).</summary>
    public static string TempPrefix(string destination) => $".{Path.GetFileName(Path.TrimEndingDirectorySeparator(destination))}.tmp-";
    /// <summary>The name prefix under which a replaced folder waits for its deletion.</summary>
    public static string OldPrefix(string destination) => $".{Path.GetFileName(Path.TrimEndingDirectorySeparator(destination))}.old-";

    public void Commit() => CommitTo(Destination);

    /// <summary>Swaps the folder in at <paramref name="destination"/> (a sibling of <see cref="Destination"/>) instead.</summary>
    public void CommitTo(string destination)
    {
        destination = Path.GetFullPath(destination);
        string? old = null;
        if (Directory.Exists(destination))
        {
            old = Path.Combine(Path.GetDirectoryName(destination)!, OldPrefix(destination) + TempOwner.NewSuffix());
            Directory.Move(destination, old);
        }
        try
        {
            Directory.Move(TempPath, destination);
        }
        catch
        {
            if (old is not null) Directory.Move(old, destination);
            throw;
        }
        _committed = true;
        if (old is not null) TryDelete(old);
    }

    public void Dispose()
    {
        if (!_committed) TryDelete(TempPath);
    }

    internal static void TryDelete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
