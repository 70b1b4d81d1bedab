using System.Security.Cryptography;
using System.Text;

namespace SlimLLM.Build;

/// <summary>
/// The stamp a successful prune leaves under obj/: the manifest's and the tool's content hash and the model folders
/// produced. It is the target's incremental output, and later builds read the folders from it without running the tool.
/// </summary>
public sealed class PruneStamp
{
    private const string HashKey = "hash=";
    private const string ModelKey = "model=";

    public string Hash { get; }
    /// <summary>(name, absolute output folder) per model, in manifest order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Models { get; }

    public PruneStamp(string hash, IReadOnlyList<KeyValuePair<string, string>> models) { Hash = hash; Models = models; }

    /// <summary>SHA-256 over the manifest's bytes and the tool assembly's bytes: a change of either changes the stamp.</summary>
    public static string ContentHash(string manifestPath, string toolAssemblyPath)
    {
        using var sha = SHA256.Create();
        foreach (var path in new[] { manifestPath, toolAssemblyPath })
        {
            var bytes = File.ReadAllBytes(path);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock(new byte[0], 0, 0);
        return string.Concat(sha.Hash.Select(b => b.ToString("x2")));
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var sb = new StringBuilder();
        sb.Append("# Written by SlimLLM.Build after a successful prune; delete it to prune again.\n");
        sb.Append(HashKey).Append(Hash).Append('\n');
        foreach (var m in Models) sb.Append(ModelKey).Append(m.Key).Append('|').Append(m.Value).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    public static PruneStamp? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        string hash = "";
        var models = new List<KeyValuePair<string, string>>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith(HashKey, StringComparison.Ordinal)) hash = line.Substring(HashKey.Length);
            else if (line.StartsWith(ModelKey, StringComparison.Ordinal))
            {
                var rest = line.Substring(ModelKey.Length);
                int bar = rest.IndexOf('|');
                if (bar <= 0) return null;
                models.Add(new KeyValuePair<string, string>(rest.Substring(0, bar), rest.Substring(bar + 1)));
            }
        }
        return hash.Length == 0 ? null : new PruneStamp(hash, models);
    }
}
