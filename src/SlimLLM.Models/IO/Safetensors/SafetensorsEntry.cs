namespace SlimLLM.IO.Safetensors;

/// <summary>One tensor of a safetensors header: what it is and where its bytes lie, relative to the start of the data region.</summary>
public sealed record SafetensorsEntry(TensorInfo Info, long Begin, long End)
{
    public string Name => Info.Name;
    public long ByteLength => End - Begin;
}
