using TorchSharp;

namespace SlimLLM.IO;

/// <summary>
/// The bytes of a contiguous CPU tensor of any size, for copies straight between files and tensor storage. TorchSharp's
/// public <c>Tensor.bytes</c> is the only way to that storage and is limited to 2 GB per tensor, so the tensor is visited
/// as views of at most <see cref="ChunkBytes"/> each.
/// </summary>
internal static class TensorMemory
{
    public const int ChunkBytes = 1 << 30;

    /// <param name="chunk">The tensor's bytes from <paramref name="offset"/> on, a span over its storage.</param>
    public delegate void ChunkAction(Span<byte> chunk, long offset);

    /// <summary>Calls <paramref name="action"/> for the tensor's bytes in order, at most <see cref="ChunkBytes"/> at a time.</summary>
    public static void ForEachChunk(torch.Tensor tensor, ChunkAction action)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("The tensor must be a contiguous CPU tensor.", nameof(tensor));
        long size = tensor.element_size(), count = tensor.numel(), perChunk = ChunkBytes / size;
        using var flat = tensor.view(-1);
        for (long first = 0; first < count; first += perChunk)
        {
            using var part = flat.narrow(0, first, Math.Min(perChunk, count - first));
            action(part.bytes, first * size);
        }
    }
}
