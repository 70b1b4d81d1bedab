using TorchSharp;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// Writes one GGUF v3 file atomically, streaming: declare the metadata and every tensor up front, then hand over each
/// tensor's data once, in any order (it goes straight to its aligned place in the file), then <see cref="Commit"/>.
/// Data go to a temporary file beside the target that replaces it only on commit; disposing without commit removes it.
/// </summary>
public sealed class GgufWriter : IDisposable
{
    private readonly Dictionary<string, (GgufTensorDeclaration Tensor, long Offset)> _byName;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private readonly GgufLayout _layout;
    private readonly AtomicFileWriter _file;

    private GgufWriter(string path, GgufLayout layout)
    {
        Path = path;
        _layout = layout;
        _byName = layout.Entries.ToDictionary(e => e.Tensor.Name, StringComparer.Ordinal);
        // Padding between tensors is never written explicitly: the file is sized now, and unwritten bytes read as zero.
        _file = new AtomicFileWriter(path, layout.FileLength);
        try
        {
            _file.WriteAt(0, layout.HeaderBytes);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts writing <paramref name="path"/>; nothing replaces it until <see cref="Commit"/>. general.alignment (u32) is
    /// added to <paramref name="metadata"/> as 32 when absent.
    /// </summary>
    public static GgufWriter Create(string path, GgufMetadataBuilder metadata, IEnumerable<GgufTensorDeclaration> tensors) =>
        new(path, GgufLayout.Plan(metadata, tensors));

    public string Path { get; }
    public string TempPath => _file.TempPath;
    public uint Alignment => _layout.Alignment;
    /// <summary>Absolute file offset of the tensor data section.</summary>
    public long DataStart => _layout.DataStart;
    public long FileLength => _layout.FileLength;
    /// <summary>Declared tensors in file order.</summary>
    public IEnumerable<GgufTensorDeclaration> Tensors => _layout.Entries.Select(e => e.Tensor);
    /// <summary>Declared tensors whose data has not been given yet, in file order.</summary>
    public IEnumerable<GgufTensorDeclaration> Pending => Tensors.Where(t => !_written.Contains(t.Name));

    /// <summary>Writes a tensor's data; its dtype must be the declared type's and its shape the declared shape. Any device, any strides.</summary>
    public void Write(string name, torch.Tensor data)
    {
        var (t, offset) = Expect(name);
        var dtype = TensorDTypes.FromScalarType(data.dtype);
        if (dtype != t.Type.ToDType() || !data.shape.SequenceEqual(t.Shape))
            throw new ArgumentException($"tensor '{name}' was declared {t.Type.Describe()} [{string.Join(", ", t.Shape)}] " +
                                        $"but the data is {dtype} [{string.Join(", ", data.shape)}].", nameof(data));
        _file.WriteTensor(DataStart + offset, data);
        _written.Add(name);
    }

    /// <summary>Writes a tensor's stored bytes (little-endian, row-major); the length must be its declared byte length.</summary>
    public void WriteRaw(string name, ReadOnlySpan<byte> data)
    {
        var (t, offset) = Expect(name);
        if (data.Length != t.ByteLength)
            throw new ArgumentException($"tensor '{name}' needs {t.ByteLength} bytes; {data.Length} were given.", nameof(data));
        _file.WriteAt(DataStart + offset, data);
        _written.Add(name);
    }

    /// <summary>Checks every tensor was written, flushes to disk and moves the file into place (replacing any old one).</summary>
    public void Commit()
    {
        if (_file.IsOpen)
        {
            var missing = Pending.Select(t => t.Name).ToList();
            if (missing.Count > 0)
                throw new InvalidOperationException($"{Path}: no data was given for {missing.Count} tensor(s): {string.Join(", ", missing.Take(10))}.");
        }
        _file.Complete();
        _file.Publish();
    }

    /// <summary>Abandons an uncommitted file: the temporary file is removed and the target left as it was.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Streams declared tensors to <paramref name="path"/>: <paramref name="provider"/> is asked for each, in file order, inside a
    /// dispose scope, so tensors it creates are freed once written. If it throws, no file (and no temporary file) is left.
    /// </summary>
    public static void Write(string path, GgufMetadataBuilder metadata, IEnumerable<GgufTensorDeclaration> tensors, Func<GgufTensorDeclaration, torch.Tensor> provider)
    {
        using var writer = Create(path, metadata, tensors);
        foreach (var t in writer.Tensors.ToList())
        {
            using var scope = torch.NewDisposeScope();
            writer.Write(t.Name, provider(t));
        }
        writer.Commit();
    }

    private (GgufTensorDeclaration Tensor, long Offset) Expect(string name)
    {
        if (!_file.IsOpen) throw new InvalidOperationException($"{Path}: the writer is already committed or disposed.");
        if (!_byName.TryGetValue(name, out var e)) throw new ArgumentException($"tensor '{name}' was not declared.", nameof(name));
        if (_written.Contains(name)) throw new InvalidOperationException($"tensor '{name}' was already written.");
        return e;
    }
}
