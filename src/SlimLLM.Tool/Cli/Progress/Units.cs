using System.Globalization;

namespace SlimLLM.Tool.Cli.Progress;

/// <summary>How progress writes times and sizes.</summary>
public static class Units
{
    /// <summary>mm:ss, or h:mm:ss from an hour on.</summary>
    public static string Clock(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        return t.TotalHours >= 1 ? Invariant($"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}") : Invariant($"{t.Minutes:00}:{t.Seconds:00}");
    }

    /// <summary>As the rest of slimllm prints sizes (the cache's format): 950 B, 12.3 MB, 1.50 GB.</summary>
    public static string Bytes(long bytes) => SlimLLM.Caching.CacheMaintenance.Format(bytes);

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
