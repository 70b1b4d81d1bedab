using SlimLLM.IO;

namespace SlimLLM.Output;

/// <summary>
/// Removes what killed runs left behind (a kill -9, a power cut or a second Ctrl-C give a process no chance to clean up):
/// temporary folders and files whose owner process has ended. Entries of a live process are never touched.
/// </summary>
public static class StaleTemps
{
    /// <summary>
    /// Entries directly in <paramref name="folder"/> whose names start with one of <paramref name="prefixes"/>. Names without
    /// an owner tag (older versions) are removed only when <paramref name="untaggedAreStale"/>: the caller holds the lock that
    /// every writer of these names takes.
    /// </summary>
    public static int SweepFolder(string folder, IEnumerable<string> prefixes, bool untaggedAreStale)
    {
        if (!Directory.Exists(folder)) return 0;
        var list = prefixes.ToList();
        int removed = 0;
        foreach (var entry in SafeEnumerate(folder, "*", SearchOption.TopDirectoryOnly))
        {
            var name = Path.GetFileName(entry);
            if (!list.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
            if (IsStale(name, untaggedAreStale, entry) && Remove(entry)) removed++;
        }
        return removed;
    }

    /// <summary>
    /// Temporary files and folders anywhere under <paramref name="root"/>: half-written cache entries (<c>*.tmp</c>,
    /// <c>*.staging</c>) and half-extracted packages (<see cref="AtomicFolder"/>'s <c>.NAME.tmp-*</c> and <c>.NAME.old-*</c>).
    /// Untagged ones are removed once they are a day old: no write takes that long.
    /// </summary>
    public static int SweepTree(string root)
    {
        if (!Directory.Exists(root)) return 0;
        int removed = 0;
        var removedFolders = new List<string>();
        // One walk of the tree (it holds every cache entry); what lay inside a folder already removed is skipped.
        foreach (var entry in SafeEnumerate(root, "*", SearchOption.AllDirectories))
        {
            if (removedFolders.Any(f => entry.StartsWith(f + Path.DirectorySeparatorChar, StringComparison.Ordinal))) continue;
            var name = Path.GetFileName(entry);
            bool temporary = name.EndsWith(".tmp", StringComparison.Ordinal) || name.EndsWith(".staging", StringComparison.Ordinal)
                || (name.StartsWith('.') && (name.Contains(".tmp-", StringComparison.Ordinal) || name.Contains(".old-", StringComparison.Ordinal)));
            if (!temporary || !IsStale(name, untaggedAreStale: false, entry)) continue;
            bool folder = Directory.Exists(entry);
            if (!Remove(entry)) continue;
            removed++;
            if (folder) removedFolders.Add(entry);
        }
        return removed;
    }

    private static bool IsStale(string name, bool untaggedAreStale, string path) => TempOwner.IsOwnerAlive(name) switch
    {
        true => false,
        false => true,
        null => untaggedAreStale || DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromDays(1),
    };

    private static IEnumerable<string> SafeEnumerate(string folder, string pattern, SearchOption option)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(folder, pattern, new EnumerationOptions
            {
                RecurseSubdirectories = option == SearchOption.AllDirectories, IgnoreInaccessible = true, AttributesToSkip = 0,
            }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static bool Remove(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
