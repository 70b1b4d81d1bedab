namespace SlimLLM.Diagnostics;

/// <summary>This process's memory as the kernel accounts it (Linux /proc; null elsewhere).</summary>
public static class ProcessMemory
{
    private static long _peakBeforeReset;

    /// <summary>
    /// Peak resident set size of the process: what `/usr/bin/time -v` reports as maximum resident set size (the kernel's
    /// VmHWM, or the larger peak it had before a <see cref="ResetPeak"/>).
    /// </summary>
    public static long? PeakResidentBytes() => ReadKilobytes("/proc/self/status", "VmHWM:") * 1024 is long peak ? Math.Max(peak, Interlocked.Read(ref _peakBeforeReset)) : null;

    /// <summary>The peak resident set size since the last <see cref="ResetPeak"/> (VmHWM).</summary>
    public static long? PeakResidentBytesSinceReset() => ReadKilobytes("/proc/self/status", "VmHWM:") * 1024;

    /// <summary>
    /// Starts a new peak (Linux: writing 5 to /proc/self/clear_refs resets VmHWM to the current RSS), keeping the process's peak
    /// so far for <see cref="PeakResidentBytes"/>. False where the kernel does not allow it: the peak since then is unknown.
    /// </summary>
    public static bool ResetPeak()
    {
        if (PeakResidentBytesSinceReset() is not long peak) return false;
        long seen;
        do seen = Interlocked.Read(ref _peakBeforeReset);
        while (peak > seen && Interlocked.CompareExchange(ref _peakBeforeReset, peak, seen) != seen);
        try
        {
            using var clearRefs = new FileStream("/proc/self/clear_refs", FileMode.Open, FileAccess.Write);
            clearRefs.Write("5"u8);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

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
