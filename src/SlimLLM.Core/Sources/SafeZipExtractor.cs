using System.Globalization;
using System.IO.Compression;
using SlimLLM.Caching;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>
/// How much a .nupkg may expand to. An entry above <see cref="RatioFloorBytes"/> may be at most <see cref="MaxRatio"/>
/// times its compressed size (deflate peaks near 1032:1 on zeros; real weights compress about 1.1:1 and JSON about 10:1,
/// so 100:1 refuses zip bombs and nothing real); the package at most <see cref="MaxTotalBytes"/> in all, and never more
/// than the target's free disk space. <c>SLIMLLM_NUPKG_MAX_RATIO</c> and <c>SLIMLLM_NUPKG_MAX_SIZE</c> (e.g. 800GB) override.
/// </summary>
internal sealed record ExtractionLimits(double MaxRatio, long MaxTotalBytes)
{
    public const long RatioFloorBytes = 1 << 20;
    public static readonly ExtractionLimits Default = new(100, 512L << 30);

    public static ExtractionLimits From(Func<string, string?> environment)
    {
        double ratio = Default.MaxRatio;
        if (Value(environment, "SLIMLLM_NUPKG_MAX_RATIO") is { } r
            && (!double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out ratio) || !double.IsFinite(ratio) || ratio < 1))
            throw new SlimLLMException("SLIMLLM_NUPKG_MAX_RATIO", $"'{r}' is not a ratio of at least 1.", "Set it to e.g. 100, or unset it for the default (100).");
        long total = Default.MaxTotalBytes;
        if (Value(environment, "SLIMLLM_NUPKG_MAX_SIZE") is { } t)
        {
            try { total = CacheMaintenance.ParseSize(t); } catch (SlimLLMException) { total = 0; }
            if (total <= 0)
                throw new SlimLLMException("SLIMLLM_NUPKG_MAX_SIZE", $"'{t}' is not a size above 0.", "Set it to e.g. 800GB, or unset it for the default (512GB).");
        }
        return new ExtractionLimits(ratio, total);
    }

    private static string? Value(Func<string, string?> environment, string name) => environment(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}

/// <summary>
/// Extracts a .nupkg, refusing the whole package before anything is written when any entry (after NuGet's
/// percent-decoding) would land outside the target folder ("../x", "/etc/x", "C:\x", "%2e%2e/x"), when two entries
/// collide (one name twice, or a file and a folder of one name), or when the entries' declared sizes break the
/// <see cref="ExtractionLimits"/>. While writing, the bytes actually produced are counted: an entry that expands past its
/// declared size (a lying header) stops there and fails the extraction. (.NET's reader itself stops at the declared size,
/// silently cutting the content; the CRC-32 of what was written, checked against the header's, catches that.)
/// </summary>
internal static class SafeZipExtractor
{
    private const string Malicious = "The package is malformed or malicious: do not use it, and ask its publisher for a fixed one.";

    /// <summary>Packaging bookkeeping (OPC parts, signature) that is not package content.</summary>
    private static bool IsPackagingPart(string name) =>
        name == "[Content_Types].xml" || name == ".signature.p7s" || name.StartsWith("_rels/", StringComparison.Ordinal)
        || name.StartsWith("package/services/metadata/", StringComparison.Ordinal);

    /// <returns>The extracted files, relative to <paramref name="target"/>, '/'-separated.</returns>
    public static IReadOnlyList<string> Extract(string nupkg, string target, string packageLabel, ExtractionLimits? limits = null)
    {
        limits ??= ExtractionLimits.From(System.Environment.GetEnvironmentVariable);
        var root = Path.GetFullPath(target);
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(nupkg);
        }
        catch (InvalidDataException e)
        {
            throw new SlimLLMException(packageLabel, $"is not a valid package (zip) file: {e.Message}", "Republish the package, or clear the feed's copy and fetch it again.", inner: e);
        }
        using (archive)
        {
            var plan = Plan(archive, root, new FileInfo(nupkg).Length, packageLabel, limits);
            foreach (var (entry, name, destination) in plan)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                Write(entry, name, destination, root, packageLabel);
            }
            return plan.Select(p => p.Relative).Order(StringComparer.Ordinal).ToList();
        }
    }

    private static List<(ZipArchiveEntry Entry, string Relative, string Destination)> Plan(ZipArchive archive, string root, long packageBytes,
        string packageLabel, ExtractionLimits limits)
    {
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        var comparer = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        var files = new Dictionary<string, string>(comparer); // destination -> entry name
        var folders = new Dictionary<string, string>(comparer); // folder -> an entry inside it
        var plan = new List<(ZipArchiveEntry Entry, string Relative, string Destination)>();
        long declared = 0;
        foreach (var entry in archive.Entries)
        {
            var name = Uri.UnescapeDataString(entry.FullName).Replace('\\', '/');
            if (IsPackagingPart(name) || name.EndsWith('/')) continue;
            var destination = Path.GetFullPath(Path.Combine(root, name.Replace('/', Path.DirectorySeparatorChar)));
            if (Path.IsPathRooted(name) || name.Contains(':') || !destination.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                throw new SlimLLMException(packageLabel,
                    $"entry '{entry.FullName}' would be extracted outside the package folder (path traversal); nothing was extracted.", Malicious);
            if (!files.TryAdd(destination, entry.FullName))
                throw new SlimLLMException(packageLabel, $"entries '{files[destination]}' and '{entry.FullName}' are one file; nothing was extracted.", Malicious);
            for (var folder = Path.GetDirectoryName(destination)!; folder.Length > root.Length; folder = Path.GetDirectoryName(folder)!)
                folders.TryAdd(folder, entry.FullName);
            long compressed = Math.Max(1, Math.Min(entry.CompressedLength, packageBytes));
            if (entry.Length > ExtractionLimits.RatioFloorBytes && entry.Length > limits.MaxRatio * compressed)
                throw new SlimLLMException(packageLabel,
                    $"entry '{entry.FullName}' expands {entry.Length / (double)compressed:0}:1 ({entry.Length:N0} bytes from {entry.CompressedLength:N0}), above the limit of {limits.MaxRatio:0.##}:1 (a zip bomb); nothing was extracted.",
                    "Do not use the package; if it is genuine, raise SLIMLLM_NUPKG_MAX_RATIO.");
            declared += entry.Length;
            plan.Add((entry, name, destination));
        }
        foreach (var (destination, entryName) in files)
            if (folders.TryGetValue(destination, out var inside))
                throw new SlimLLMException(packageLabel,
                    $"entry '{entryName}' is a file, but entry '{inside}' needs a folder of that name; nothing was extracted.", Malicious);
        if (declared > limits.MaxTotalBytes)
            throw new SlimLLMException(packageLabel,
                $"the package would extract to {declared:N0} bytes, above the limit of {limits.MaxTotalBytes:N0}; nothing was extracted.",
                "Do not use the package; if it is genuine, raise SLIMLLM_NUPKG_MAX_SIZE (e.g. 800GB).");
        if (IO.DiskSpace.FreeBytes(root) is { } free && declared > free)
            throw new SlimLLMException(packageLabel,
                $"the package extracts to {declared:N0} bytes but {root} has {free:N0} free; nothing was extracted.",
                "Free disk space, or set SLIMLLM_CACHE (or NUGET_PACKAGES) to a folder with room.");
        return plan;
    }

    /// <summary>Copies one entry, counting the bytes produced: more than its declared size means the header lied.</summary>
    private static void Write(ZipArchiveEntry entry, string name, string destination, string root, string packageLabel)
    {
        try
        {
            using var input = entry.Open();
            using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            var buffer = new byte[1 << 16];
            long written = 0;
            uint crc = 0;
            int read;
            // Ask for one byte more than declared at most: that byte is enough to know.
            while ((read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.Length - written + 1))) > 0)
            {
                written += read;
                if (written > entry.Length)
                    throw new SlimLLMException(packageLabel,
                        $"entry '{entry.FullName}' expands past its declared size of {entry.Length:N0} bytes (a lying zip header); extraction stopped.", Malicious);
                output.Write(buffer, 0, read);
                crc = Crc32.Append(crc, buffer.AsSpan(0, read));
            }
            if (written != entry.Length || crc != entry.Crc32)
                throw new SlimLLMException(packageLabel,
                    $"entry '{entry.FullName}' does not match its header ({written:N0} of {entry.Length:N0} bytes, CRC-32 {crc:x8} where the header says {entry.Crc32:x8}); extraction stopped.", Malicious);
        }
        catch (InvalidDataException e)
        {
            throw new SlimLLMException(packageLabel, $"entry '{name}' is corrupt: {e.Message}", "Republish the package, or clear the feed's copy and fetch it again.", inner: e);
        }
        catch (IOException e)
        {
            throw new SlimLLMException(packageLabel, $"cannot write {destination}: {e.Message}",
                "Free disk space, or set SLIMLLM_CACHE (or NUGET_PACKAGES) to a folder with room.", inner: e);
        }
    }

}

/// <summary>The CRC-32 of zip (IEEE 802.3, reflected 0xEDB88320).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC of the bytes so far (<paramref name="crc"/>, 0 to start) followed by <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
