using System.Security.Cryptography;
using System.Text;
using SlimLLM.Models;

namespace SlimLLM.Caching;

/// <summary>
/// The content fingerprint of a model: SHA-256 over config.json and the weight files' bytes (a GGUF file whole). Paths and
/// timestamps never enter it. Hashing gigabytes takes seconds, so the result is memoised per file identity
/// (path, length, modification time) in the cache folder; the memo only saves time, it never changes a key.
/// </summary>
public static class ModelFingerprint
{
    public static string Compute(IModelSource source, string? cacheRoot = null)
    {
        var files = ContentFiles(source);
        var identity = string.Join("\n", files.Select(f => { var i = new FileInfo(f); return $"{i.FullName}|{i.Length}|{i.LastWriteTimeUtc.Ticks}"; }));
        string? memo = cacheRoot is null ? null
            : Path.Combine(cacheRoot, "fingerprints", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity))) + ".txt");
        if (memo is not null && File.Exists(memo))
        {
            var text = File.ReadAllText(memo).Trim();
            if (text.Length == 64) return text;
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\n"));
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = s.Read(buffer)) > 0) sha.AppendData(buffer, 0, n);
        }
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (memo is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(memo)!);
            var tmp = memo + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, hash);
            File.Move(tmp, memo, overwrite: true);
        }
        return hash;
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
