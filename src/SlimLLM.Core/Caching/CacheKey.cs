using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace SlimLLM.Caching;

/// <summary>
/// Builds content-addressed keys: SHA-256 over named parts in a canonical form. Every input that changes a statistic must be a
/// part; nothing else (no paths, no timestamps) may be.
/// </summary>
public sealed class CacheKey
{
    private readonly StringBuilder _text = new();

    public CacheKey Add(string name, string value)
    {
        _text.Append(name).Append('=').Append(value.Length).Append(':').Append(value).Append('\n');
        return this;
    }

    public CacheKey Add(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));
    public CacheKey Add(string name, double value) => Add(name, value.ToString("R", CultureInfo.InvariantCulture));

    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_text.ToString())));

    /// <summary>SHA-256 of tensors' dtypes, shapes and bytes (in the given order), e.g. a pruned layer's weights.</summary>
    public static string HashTensors(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in tensors)
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}|{t.dtype}|{string.Join(",", t.shape)}|"));
            using (NewDisposeScope()) sha.AppendData(t.cpu().contiguous().bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
