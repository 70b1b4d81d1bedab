namespace SlimLLM.Diagnostics;

/// <summary>This process's memory as the kernel accounts it (Linux /proc; null elsewhere).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM): what `/usr/bin/time -v` reports as maximum resident set size.</summary>
    public static long? PeakResidentBytes() => ReadKilobytes("/proc/self/status", "VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS).</summary>
    public static long? ResidentBytes() => ReadKilobytes("/proc/self/status", "VmRSS:") * 1024;

    /// <summary>
    /// Memory the system can give to a new workload without swapping: the smaller of the kernel's MemAvailable and what the
    /// runtime sees as this process's limit (a container's cgroup limit), less what the process already holds of that limit.
    /// </summary>
    public static long AvailableBytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long left = limit - (ResidentBytes() ?? 0);
        return ReadKilobytes("/proc/meminfo", "MemAvailable:") * 1024 is long available ? Math.Min(available, left) : left;
    }

    private static long? ReadKilobytes(string file, string field)
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
            if (line.StartsWith(field, StringComparison.Ordinal)
                && long.TryParse(line[field.Length..].Trim().Split(' ')[0], out var kb))
                return kb;
        return null;
    }
}
