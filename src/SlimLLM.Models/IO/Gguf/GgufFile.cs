using System.IO.MemoryMappedFiles;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// A GGUF (v2/v3) file, memory-mapped: opening parses only the header; each <see cref="Load"/> copies one tensor.
/// F32, F16 and BF16 tensors (and the plain F64/I8..I64 types) can be loaded; quantized ones are listed but fail on
/// <see cref="Info"/>/<see cref="Load"/> with a message saying how to convert the file.
/// Names are GGUF's own (token_embd.weight, blk.N.attn_q.weight, ...); shapes are row-major ([out, in] for weights).
/// </summary>
public sealed unsafe class GgufFile : ITensorStore
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;
    private readonly Dictionary<string, GgufTensorEntry> _byName;
    private bool _disposed;

    private GgufFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* data, GgufHeader header)
    {
        Path = path;
        _map = map;
        _view = view;
        _data = data;
        Version = header.Version;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Names = header.Tensors.Select(t => t.Name).ToArray();
    }

    public string Path { get; }
    public uint Version { get; }
    public GgufMetadata Metadata { get; }
    /// <summary>Every tensor in file order, including those of types that cannot be loaded.</summary>
    public IReadOnlyList<GgufTensorEntry> Tensors { get; }
    public uint Alignment { get; }
    /// <summary>Absolute file offset of the tensor data section.</summary>
    public long DataOffset { get; }
    public IReadOnlyCollection<string> Names { get; }

    public static GgufFile Open(string path)
    {
        var length = FileLength(path);
        if (length < 24)
            throw new SlimLLMException(path, $"not a GGUF file: it is only {length} bytes long (a GGUF header needs at least 24).",
                "Pass a .gguf model file; if it should be one, download or convert it again.");

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            var data = pointer + view.PointerOffset;
            var header = GgufHeader.Parse(new GgufHeaderReader(data, length, path), path);
            return new GgufFile(path, map, view, data, header);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Release(map, view, acquired);
            throw new SlimLLMException(path, $"cannot be memory-mapped: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
        catch
        {
            Release(map, view, acquired);
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public GgufTensorEntry Entry(string name) => _byName.TryGetValue(name, out var e)
        ? e
        : throw new SlimLLMException(Path, $"there is no tensor named '{name}' (the file has {Tensors.Count} tensors{Examples()}).",
            "Check the tensor name: GGUF files use llama.cpp names such as blk.0.attn_q.weight.");

    public TensorInfo Info(string name)
    {
        var e = Entry(name);
        var dtype = e.Type.ToDType() ?? throw new SlimLLMException(Path,
            $"tensor '{name}' is stored as {e.Type.Describe()}, which is not supported (only F32, F16 and BF16 tensors can be read).",
            "Convert the model to an F16 or F32 GGUF with llama.cpp (convert_hf_to_gguf.py --outtype f16, or llama-quantize with type F16), or use the original safetensors checkpoint.");
        return new TensorInfo(name, dtype, (long[])e.Shape.Clone());
    }

    public torch.Tensor Load(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = Info(name);
        var entry = _byName[name];
        var tensor = torch.empty(info.Shape, info.DType.ToScalarType());
        var source = _data + DataOffset + entry.Offset;
        TensorMemory.ForEachChunk(tensor, (chunk, offset) => new ReadOnlySpan<byte>(source + offset, chunk.Length).CopyTo(chunk));
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Release(_map, _view, acquired: true);
    }

    private string Examples() => Tensors.Count == 0 ? "" : ", e.g. " + string.Join(", ", Tensors.Take(3).Select(t => t.Name));

    private static long FileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (FileNotFoundException e)
        {
            throw new SlimLLMException(path, "file not found.", "Check the path to the .gguf file.", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SlimLLMException(path, $"cannot be read: {e.Message}", "Check the path to the .gguf file.", inner: e);
        }
    }

    private static void Release(MemoryMappedFile? map, MemoryMappedViewAccessor? view, bool acquired)
    {
        if (acquired) view?.SafeMemoryMappedViewHandle.ReleasePointer();
        view?.Dispose();
        map?.Dispose();
    }
}
