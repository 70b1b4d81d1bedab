using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SlimLLM.Models;

namespace SlimLLM.Caching;

/// <summary>
/// The content fingerprint of a model: SHA-256 over config.json and the weight files' bytes (a GGUF file whole). Paths and
/// timestamps never enter it. Hashing gigabytes takes seconds, so the result is memoised in the cache folder under the
/// files' identities (path, size, mtime, device, inode, ctime: see <see cref="FileIdentity"/>); the memo only saves time,
/// it never changes a key. A memo is trusted only when it was made after every file's last status change (with a margin
/// for coarse file-system clocks); otherwise, or with <c>verify</c>, the files are hashed again and the memo rewritten.
/// </summary>
public static class ModelFingerprint
{
    /// <summary>How long after a file's last change a hash must have started for its memo to be trusted.</summary>
    internal static readonly TimeSpan RacyMargin = TimeSpan.FromSeconds(2);

    /// <summary>A fingerprint and how many bytes were read to get it (0 when it came from the memo).</summary>
    internal readonly record struct Result(string Fingerprint, long BytesHashed);

    public static string Compute(IModelSource source, string? cacheRoot = null, bool verify = false) =>
        ComputeDetailed(source, cacheRoot, verify).Fingerprint;

    internal static Result ComputeDetailed(IModelSource source, string? cacheRoot = null, bool verify = false)
    {
        var files = ContentFiles(source);
        var before = files.Select(FileIdentity.Of).ToList();
        var identity = string.Join("\n", before);
        string? memo = cacheRoot is null ? null
            : Path.Combine(cacheRoot, "fingerprints", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity))) + ".txt");
        if (memo is not null && !verify && ReadMemo(memo, before) is { } remembered) return new Result(remembered, 0);

        var started = DateTime.UtcNow;
        long bytes = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var f in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\n"));
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            int n;
            while ((n = s.Read(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                bytes += n;
            }
        }
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        // A file that changed while it was read gives no memo: the next run hashes it again.
        if (memo is not null && files.Select(FileIdentity.Of).SequenceEqual(before))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(memo)!);
            var tmp = memo + $".{IO.TempOwner.NewSuffix()}.tmp"; // owner-tagged: the cache sweep removes it if this process dies
            File.WriteAllText(tmp, $"{hash}\n{started.Ticks.ToString(CultureInfo.InvariantCulture)}\n");
            File.Move(tmp, memo, overwrite: true);
        }
        return new Result(hash, bytes);
    }

    /// <summary>The memoised hash, when the memo is well formed and its hash began after every file's last change.</summary>
    private static string? ReadMemo(string memo, IReadOnlyList<FileIdentity> files)
    {
        string[] lines;
        try
        {
            if (!File.Exists(memo)) return null;
            lines = File.ReadAllLines(memo);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (lines.Length < 2 || lines[0].Length != 64 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var started))
            return null;
        return files.All(f => f.CtimeTicks < started - RacyMargin.Ticks) ? lines[0] : null;
    }

    private static List<string> ContentFiles(IModelSource source)
    {
        if (File.Exists(source.Path)) return [source.Path];
        var dir = source.Path;
        var files = new List<string> { Path.Combine(dir, "config.json") };
        files.AddRange(Directory.GetFiles(dir, "*.safetensors").Order(StringComparer.Ordinal));
        return files;
    }
}
