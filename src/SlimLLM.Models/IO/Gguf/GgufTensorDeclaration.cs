namespace SlimLLM.IO.Gguf;

/// <summary>
/// A tensor to be written to a GGUF file: its llama.cpp name, element type and row-major shape (outermost first, as in
/// PyTorch: [out, in] for a weight; written to the file reversed, as GGUF's ne[]). Plain types (F32, F16, BF16, ...) and
/// the block types of <see cref="GgufQuantizer"/> (Q8_0, Q4_0: rows a multiple of 32 long) can be written.
/// </summary>
public sealed record GgufTensorDeclaration(string Name, GgmlType Type, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public long ByteLength => GgufQuantizer.IsQuantized(Type) ? GgufQuantizer.ByteLength(Type, ElementCount) : checked(ElementCount * (Type.ToDType()
        ?? throw new NotSupportedException($"tensor '{Name}': writing {Type.Describe()} tensors is not supported (only unquantized types, Q8_0 and Q4_0).")).ElementSize());
}
