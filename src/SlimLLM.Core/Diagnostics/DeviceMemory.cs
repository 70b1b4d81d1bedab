using System.Runtime.InteropServices;

namespace SlimLLM.Diagnostics;

/// <summary>
/// Peak memory of the compute device over a stretch of work (a layer), when the device is a GPU. The engine resets it before
/// each layer and reads it after; samples are taken at every phase boundary (<see cref="Pruning.Engine.PhaseTimings"/>).
/// </summary>
public interface IDeviceMemory
{
    void ResetPeak();
    /// <summary>Takes a sample of the memory in use now.</summary>
    void Sample();
    /// <summary>The largest sample since <see cref="ResetPeak"/>; null when the device's memory cannot be read (the CPU).</summary>
    long? PeakBytes { get; }
}

/// <summary>The CPU: no device memory apart from the process's (its peak RSS is reported instead).</summary>
public sealed class NoDeviceMemory : IDeviceMemory
{
    public static readonly NoDeviceMemory Instance = new();
    public void ResetPeak() { }
    public void Sample() { }
    public long? PeakBytes => null;
}

/// <summary>
/// A CUDA GPU's memory in use as NVML reports it (libnvidia-ml, part of the NVIDIA driver), sampled at phase boundaries.
/// TorchSharp 0.107 exposes none of libtorch's CUDA allocator statistics (no max_memory_allocated), so this is the device's
/// whole used memory: it includes the CUDA context, the caching allocator's reserve and other processes on the GPU, and a
/// peak between two samples is missed. Not yet run on a GPU (docs/gpu.md).
/// </summary>
public sealed class NvmlDeviceMemory(int deviceIndex) : IDeviceMemory
{
    private readonly IntPtr _device = Open(deviceIndex);
    private long? _peak;

    /// <summary>The probe for a CUDA device, or <see cref="NoDeviceMemory"/> when NVML cannot be loaded or the device opened.</summary>
    public static IDeviceMemory For(int deviceIndex)
    {
        var probe = new NvmlDeviceMemory(deviceIndex);
        return probe._device == IntPtr.Zero ? NoDeviceMemory.Instance : probe;
    }

    public void ResetPeak() => _peak = null;

    public void Sample()
    {
        if (_device == IntPtr.Zero || nvmlDeviceGetMemoryInfo(_device, out var info) != 0) return;
        _peak = Math.Max(_peak ?? 0, (long)info.Used);
    }

    public long? PeakBytes => _peak;

    private static IntPtr Open(int index)
    {
        try
        {
            if (nvmlInit_v2() != 0) return IntPtr.Zero;
            return nvmlDeviceGetHandleByIndex_v2((uint)index, out var device) == 0 ? device : IntPtr.Zero;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return IntPtr.Zero;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total, Free, Used;
    }

    private const string Nvml = "libnvidia-ml.so.1";
    [DllImport(Nvml)] private static extern int nvmlInit_v2();
    [DllImport(Nvml)] private static extern int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
    [DllImport(Nvml)] private static extern int nvmlDeviceGetMemoryInfo(IntPtr device, out NvmlMemory memory);
}
