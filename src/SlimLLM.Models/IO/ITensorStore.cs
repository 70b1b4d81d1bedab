using TorchSharp;

namespace SlimLLM.IO;

/// <summary>One tensor in a checkpoint: its name, element type and row-major shape (outermost first).</summary>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => ElementCount * DType.ElementSize();
}

/// <summary>
/// Read access to the tensors of a checkpoint (a safetensors file, a sharded set, a GGUF file).
/// Tensors are read lazily, one at a time: opening a 70B checkpoint must not read it whole.
/// </summary>
public interface ITensorStore : IDisposable
{
    /// <summary>The file (or index file) the tensors come from, for error messages.</summary>
    string Path { get; }
    IReadOnlyCollection<string> Names { get; }
    bool Contains(string name);
    /// <summary>Throws <see cref="Errors.SlimLLMException"/> naming the file when the tensor is absent.</summary>
    TensorInfo Info(string name);
    /// <summary>Copies the tensor into a new CPU tensor of its stored dtype (shape as in <see cref="Info"/>).</summary>
    torch.Tensor Load(string name);
}
