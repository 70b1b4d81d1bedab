using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SlimLLM.Build;

/// <summary>
/// The stamp a successful prune leaves under obj/: the manifest's and the tool's content hash, the model folders produced,
/// and the size and time of every local file the prune read (model, calibration and evaluation texts). It is the target's
/// incremental output; later builds read the folders from it without running the tool, and delete it (so the prune runs
/// again) when one of those files has changed.
/// </summary>
public sealed class PruneStamp
{
    private const string HashKey = "hash=";
    private const string ModelKey = "model=";
    private const string InputKey = "input=";

    public string Hash { get; }
    /// <summary>(name, absolute output folder) per model, in manifest order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Models { get; }
    /// <summary>The files read, with their state when the stamp was made.</summary>
    public IReadOnlyList<InputFile> Inputs { get; }

    public PruneStamp(string hash, IReadOnlyList<KeyValuePair<string, string>> models, IReadOnlyList<InputFile>? inputs = null)
    {
        Hash = hash;
        Models = models;
        Inputs = inputs ?? new InputFile[0];
    }

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

    /// <summary>The first input that is gone or whose size or last write time differs from the stamp's; null when none.</summary>
    public string? ChangedInput() => Inputs.FirstOrDefault(i => !i.Equals(InputFile.Of(i.Path)))?.Path;

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var sb = new StringBuilder();
        sb.Append("# Written by SlimLLM.Build after a successful prune; delete it to prune again.\n");
        sb.Append(HashKey).Append(Hash).Append('\n');
        foreach (var m in Models) sb.Append(ModelKey).Append(m.Key).Append('|').Append(m.Value).Append('\n');
        foreach (var i in Inputs)
            sb.Append(InputKey).Append(i.Length.ToString(CultureInfo.InvariantCulture)).Append('|')
              .Append(i.LastWriteUtcTicks.ToString(CultureInfo.InvariantCulture)).Append('|').Append(i.Path).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    public static PruneStamp? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        string hash = "";
        var models = new List<KeyValuePair<string, string>>();
        var inputs = new List<InputFile>();
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
            else if (line.StartsWith(InputKey, StringComparison.Ordinal))
            {
                var parts = line.Substring(InputKey.Length).Split(new[] { '|' }, 3);
                if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var length)
                    || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks))
                    return null;
                inputs.Add(new InputFile(parts[2], length, ticks));
            }
        }
        return hash.Length == 0 ? null : new PruneStamp(hash, models, inputs);
    }
}

/// <summary>A file's path with its size and last write time (UTC ticks); a missing file has length -1.</summary>
public sealed class InputFile : IEquatable<InputFile>
{
    public InputFile(string path, long length, long lastWriteUtcTicks)
    {
        Path = path;
        Length = length;
        LastWriteUtcTicks = lastWriteUtcTicks;
    }

    public string Path { get; }
    public long Length { get; }
    public long LastWriteUtcTicks { get; }

    public static InputFile Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new InputFile(path, info.Length, info.LastWriteTimeUtc.Ticks) : new InputFile(path, -1, 0);
    }

    public bool Equals(InputFile? other) =>
        other is not null && other.Path == Path && other.Length == Length && other.LastWriteUtcTicks == LastWriteUtcTicks;

    public override bool Equals(object? obj) => Equals(obj as InputFile);
    public override int GetHashCode() => Path.GetHashCode() ^ Length.GetHashCode() ^ LastWriteUtcTicks.GetHashCode();
}
