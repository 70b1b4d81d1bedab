namespace SlimLLM.Diagnostics;

/// <summary>This process's memory as the kernel accounts it (Linux /proc; null elsewhere).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM): what `/usr/bin/time -v` reports as maximum resident set size.</summary>
    public static long? PeakResidentBytes() => ReadStatusKilobytes("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS).</summary>
    public static long? ResidentBytes() => ReadStatusKilobytes("VmRSS:") * 1024;

    private static long? ReadStatusKilobytes(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal)
                && long.TryParse(line[field.Length..].Trim().Split(' ')[0], out var kb))
                return kb;
        return null;
    }
}
