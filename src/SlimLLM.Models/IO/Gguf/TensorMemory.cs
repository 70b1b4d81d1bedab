using System.Reflection;
using TorchSharp;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// The address of a CPU tensor's data. TorchSharp 0.107 exposes it only through Tensor.bytes (a Span limited to 2 GB)
/// and typed storages (none for float16), so this calls the same native entry point TorchSharp itself uses.
/// </summary>
internal static class TensorMemory
{
    private static readonly Func<IntPtr, IntPtr> DataPointer = Bind();

    public static unsafe void CopyFrom(torch.Tensor destination, byte* source, long byteCount)
    {
        if (byteCount == 0) return;
        if (destination.device_type != DeviceType.CPU || !destination.is_contiguous())
            throw new ArgumentException("The destination must be a contiguous CPU tensor.", nameof(destination));
        var expected = destination.numel() * destination.element_size();
        if (expected != byteCount)
            throw new ArgumentException($"The destination holds {expected} bytes, not {byteCount}.", nameof(destination));
        var target = (byte*)DataPointer(destination.Handle);
        Buffer.MemoryCopy(source, target, byteCount, byteCount);
    }

    private static Func<IntPtr, IntPtr> Bind()
    {
        var natives = typeof(torch).Assembly.GetType("TorchSharp.PInvoke.NativeMethods");
        var method = natives?.GetMethod("THSTensor_data", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
        return method?.CreateDelegate<Func<IntPtr, IntPtr>>()
            ?? throw new InvalidOperationException("TorchSharp.PInvoke.NativeMethods.THSTensor_data not found: this code expects TorchSharp 0.107.");
    }
}
