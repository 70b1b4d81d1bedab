namespace SlimLLM.IO.Gguf;

/// <summary>
/// A tensor to be written to a GGUF file: its llama.cpp name, element type and row-major shape (outermost first, as in
/// PyTorch: [out, in] for a weight; written to the file reversed, as GGUF's ne[]). Only plain types (F32, F16, BF16, ...)
/// can be written.
/// </summary>
public sealed record GgufTensorDeclaration(string Name, GgmlType Type, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public long ByteLength => checked(ElementCount * (Type.ToDType()
        ?? throw new NotSupportedException($"tensor '{Name}': writing {Type.Describe()} tensors is not supported (only unquantized types).")).ElementSize());
}
