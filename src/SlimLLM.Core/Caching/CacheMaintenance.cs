using System.Globalization;
using SlimLLM.Errors;

namespace SlimLLM.Caching;

public sealed record CacheEntry(string Path, string Kind, long Bytes, DateTime LastUsedUtc);

/// <summary>Listing and size-bounding of a cache folder (least recently used entries go first).</summary>
public static class CacheMaintenance
{
    public static List<CacheEntry> Entries(string root)
    {
        var stats = Path.Combine(root, "stats");
        if (!Directory.Exists(stats)) return [];
        return Directory.EnumerateFiles(stats, "*.safetensors", SearchOption.AllDirectories)
            .Select(f => new FileInfo(f))
            .Select(i => new CacheEntry(i.FullName, Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(i.FullName))!), i.Length,
                i.LastAccessTimeUtc > i.LastWriteTimeUtc ? i.LastAccessTimeUtc : i.LastWriteTimeUtc))
            .ToList();
    }

    /// <summary>Deletes least recently used entries until the total is at most <paramref name="maxBytes"/>; returns what was removed.</summary>
    public static List<CacheEntry> Prune(string root, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var entries = Entries(root).OrderBy(e => e.LastUsedUtc).ToList();
        long total = entries.Sum(e => e.Bytes);
        var removed = new List<CacheEntry>();
        foreach (var e in entries)
        {
            if (total <= maxBytes) break;
            try { File.Delete(e.Path); } catch (IOException) { continue; }
            total -= e.Bytes;
            removed.Add(e);
        }
        if (maxBytes == 0)
        {
            var fingerprints = Path.Combine(root, "fingerprints");
            if (Directory.Exists(fingerprints)) Directory.Delete(fingerprints, recursive: true);
        }
        return removed;
    }

    public static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        long mult = 1;
        foreach (var (suffix, m) in new[] { ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1L) })
            if (t.EndsWith(suffix, StringComparison.Ordinal)) { mult = m; t = t[..^suffix.Length]; break; }
        // NaN, infinities and sizes beyond a long would convert to long.MinValue, a negative limit that deletes every entry.
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0 || v * mult >= long.MaxValue)
            throw new SlimLLMException(null, $"'{text}' is not a size (a number from 0 up, with an optional B, KB, MB or GB).", "Write e.g. 500MB or 10GB.");
        return (long)(v * mult);
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KB",
        _ => $"{bytes} B",
    };
}
