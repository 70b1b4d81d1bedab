using System.Runtime.InteropServices;

namespace SlimLLM.Diagnostics;

/// <summary>
/// glibc malloc settings for a process that allocates and frees tensors of 1 to 32 MB in a loop (calibration activations).
/// By default glibc serves those from per-thread heaps once its adaptive mmap threshold has grown, and freed blocks stay in
/// the process: at LLaMA-7B shape the resident set then grows by over a GB of freed memory. Serving every block of 1 MB or
/// more with its own mapping (returned to the system on free) and using two heaps keeps the resident set to what is live.
/// Measured on a 512-sample TinyStories prune (batch tensors of 0.5 to 1.5 MB): peak RSS 0.64-0.68 GB at 1 MB against
/// 0.91 GB at 4 MB; the per-layer GC.Collect that used to hide this (0.61-0.63 GB) is no longer needed.
/// </summary>
public static partial class NativeHeap
{
    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3, MallocArenaMax = -8;

    /// <summary>Applies the settings on glibc Linux (no-op elsewhere, or when MALLOC_* / GLIBC_TUNABLES already choose).</summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is not null
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try
        {
            mallopt(MallocMmapThreshold, 1 << 20);
            mallopt(MallocTrimThreshold, 64 << 20);
            mallopt(MallocArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl or another libc: keep its defaults.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
