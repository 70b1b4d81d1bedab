using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>Raw access to the storage of a CPU tensor, for copies that must not be limited to 2 GB.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>
    /// Address of the first element of a contiguous CPU tensor (null when it has no elements).
    /// TorchSharp has no public data_ptr(); the byte span of a one-element view starts at that element, without the 2 GB limit
    /// that <c>Tensor.bytes</c> has for the whole tensor.
    /// </summary>
    public static byte* DataPointer(torch.Tensor t)
    {
        if (t.device_type != DeviceType.CPU) throw new ArgumentException("tensor must be on the CPU.", nameof(t));
        if (!t.is_contiguous()) throw new ArgumentException("tensor must be contiguous.", nameof(t));
        if (t.numel() == 0) return null;
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
