namespace SlimLLM.IO.Gguf;

/// <summary>
/// A tensor as listed in a GGUF file, whatever its type. <see cref="Shape"/> is row-major (outermost first): GGUF's ne[]
/// reversed, so a weight matrix reads [out, in] as in PyTorch. <see cref="Offset"/> is relative to the data section.
/// <see cref="ByteLength"/> is null for types whose block layout this reader does not know.
/// </summary>
public sealed record GgufTensorEntry(string Name, GgmlType Type, long[] Shape, long Offset, long? ByteLength)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public string ShapeText => Shape.Length == 0 ? "scalar" : string.Join(" x ", Shape);
}
