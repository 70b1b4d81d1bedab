using System.Security.Cryptography;
using SlimLLM.IO.Safetensors;
using SlimLLM.Progress;
using static TorchSharp.torch;

namespace SlimLLM.Caching;

/// <summary>
/// A folder of content-addressed statistics entries, one safetensors file each:
/// <c>ROOT/stats/KIND/KEY[0..2]/KEY.safetensors</c>. Entries are written to a temporary file and renamed into place, so a
/// reader (another build included) only ever sees whole entries; two processes computing the same key write the same
/// content and the last rename wins. Each entry records the SHA-256 of its data and is verified when read.
/// </summary>
public sealed class StatisticsCache(string root, IProgressReporter? progress = null) : IStatisticsCache
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;
    private int _hits, _misses;

    public string Root { get; } = Path.GetFullPath(root);
    public int Hits => _hits;
    public int Misses => _misses;

    public string EntryPath(string kind, string key) => Path.Combine(Root, "stats", kind, key[..2], key + ".safetensors");

    public Dictionary<string, Tensor>? TryGet(string kind, string key)
    {
        var path = EntryPath(kind, key);
        if (!File.Exists(path)) { Interlocked.Increment(ref _misses); return null; }
        try
        {
            Dictionary<string, Tensor> result;
            using (var file = SafetensorsFile.Open(path))
            {
                if (!file.Metadata.TryGetValue("sha256", out var expected) || file.Metadata.GetValueOrDefault("key") != key)
                    throw new InvalidDataException("its metadata does not match its name");
                var actual = DataHash(path, file.DataStart);
                if (actual != expected)
                    throw new InvalidDataException($"its data hash is {actual[..12]}…, not the recorded {expected[..12]}…");
                result = file.Names.ToDictionary(n => n, n => file.Load(n));
            }
            try { File.SetLastAccessTimeUtc(path, DateTime.UtcNow); } catch (IOException) { }
            Interlocked.Increment(ref _hits);
            return result;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or Errors.SlimLLMException)
        {
            _progress.Warn($"cache entry {path} is corrupt ({e.Message}); it is removed and recomputed.");
            TryDelete(path);
            Interlocked.Increment(ref _misses);
            return null;
        }
    }

    public void Put(string kind, string key, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var path = EntryPath(kind, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write without the hash, hash the data region, then write the final entry: simple, and entries are small next to the model.
        var staging = path + $".{IO.TempOwner.NewSuffix()}.staging";
        try
        {
            var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
            SafetensorsWriter.Write(staging, ordered, [new("key", key), new("kind", kind)]);
            string hash;
            using (var f = SafetensorsFile.Open(staging)) hash = DataHash(staging, f.DataStart);
            SafetensorsWriter.Write(path, ordered, [new("key", key), new("kind", kind), new("sha256", hash)]);
        }
        finally
        {
            TryDelete(staging);
        }
    }

    private static string DataHash(string path, long dataStart)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = dataStart;
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>SLIMLLM_CACHE, else the manifest's cache folder, else the user cache folder.</summary>
    public static string ResolveRoot(string? manifestCache)
    {
        var env = Environment.GetEnvironmentVariable("SLIMLLM_CACHE");
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        if (!string.IsNullOrWhiteSpace(manifestCache)) return Path.GetFullPath(manifestCache);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "slimllm");
    }
}
