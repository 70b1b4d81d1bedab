using System.Globalization;
using System.Text.RegularExpressions;
using SlimLLM.Errors;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Parses a shard size the way transformers' <c>max_shard_size</c> reads it: KB/MB/GB are decimal (2GB = 2,000,000,000 bytes),
/// KiB/MiB/GiB binary, a bare number is bytes.
/// </summary>
public static partial class ShardSize
{
    public static long Parse(string text)
    {
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new SlimLLMException(null, $"'{text}' is not a shard size.", "Write e.g. 500MB, 2GB or 1GiB.");
        long unit = m.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" => 1_000, "MB" => 1_000_000, "GB" => 1_000_000_000,
            "KIB" => 1L << 10, "MIB" => 1L << 20, "GIB" => 1L << 30,
            _ => 0,
        };
        if (unit == 0)
            throw new SlimLLMException(null, $"'{text}' has an unknown unit '{m.Groups[2].Value}'.", "Use B, KB, MB, GB (decimal) or KiB, MiB, GiB.");
        long bytes = (long)(value * unit);
        if (bytes <= 0)
            throw new SlimLLMException(null, $"'{text}' is not a positive shard size.", "Write e.g. 500MB, 2GB or 1GiB.");
        return bytes;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$")]
    private static partial Regex Pattern();
}
