using System.Buffers.Binary;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// Writes one .safetensors file atomically, streaming: declare every tensor (name, dtype, shape) up front, then hand over each
/// tensor's data once, in any order (each goes straight to its place in the file), then <see cref="Commit"/>.
/// Data go to a temporary file beside the target that replaces it only on commit; disposing without commit removes it.
/// The layout is the Hugging Face library's (see <see cref="SafetensorsLayout"/>), so that library reads the result.
/// </summary>
public sealed class SafetensorsWriter : IDisposable
{
    private readonly Dictionary<string, SafetensorsEntry> _byName;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private readonly AtomicFileWriter _file;

    private SafetensorsWriter(string path, SafetensorsLayout layout)
    {
        Path = path;
        Layout = layout;
        _byName = layout.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        _file = new AtomicFileWriter(path);
        try
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)layout.HeaderBytes.Length);
            _file.WriteAt(0, prefix);
            _file.WriteAt(8, layout.HeaderBytes);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Starts writing <paramref name="path"/>; nothing replaces it until <see cref="Commit"/>.</summary>
    /// <param name="metadata">Entries for <c>__metadata__</c>, in the order wanted; "format":"pt" is always included.</param>
    public static SafetensorsWriter Create(string path, IEnumerable<TensorInfo> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        new(path, SafetensorsLayout.Plan(tensors, metadata));

    public string Path { get; }
    /// <summary>The temporary file being written (same folder as <see cref="Path"/>).</summary>
    public string TempPath => _file.TempPath;
    public SafetensorsLayout Layout { get; }
    /// <summary>Declared tensors whose data has not been given yet, in file order.</summary>
    public IEnumerable<TensorInfo> Pending => Layout.Entries.Where(e => !_written.Contains(e.Name)).Select(e => e.Info);

    /// <summary>Writes a tensor's data; its dtype and shape must be as declared. Any device, any strides.</summary>
    public void Write(string name, torch.Tensor data)
    {
        var e = Expect(name);
        var dtype = TensorDTypes.FromScalarType(data.dtype);
        if (dtype != e.Info.DType || !data.shape.SequenceEqual(e.Info.Shape))
            throw new ArgumentException($"tensor '{name}' was declared {e.Info.DType} [{string.Join(", ", e.Info.Shape)}] " +
                                        $"but the data is {dtype} [{string.Join(", ", data.shape)}].", nameof(data));
        _file.WriteTensor(Layout.DataStart + e.Begin, data);
        _written.Add(name);
    }

    /// <summary>Reads back a tensor already written (before <see cref="Commit"/>), as a new CPU tensor of its declared dtype and shape.</summary>
    public torch.Tensor ReadBack(string name)
    {
        var e = _byName.TryGetValue(name, out var entry) && _written.Contains(name) ? entry
            : throw new ArgumentException($"tensor '{name}' has not been written to {Path}.", nameof(name));
        var tensor = torch.empty(e.Info.Shape, e.Info.DType.ToScalarType());
        TensorMemory.ForEachChunk(tensor, (chunk, offset) => _file.ReadAt(Layout.DataStart + e.Begin + offset, chunk));
        return tensor;
    }

    /// <summary>Writes a tensor's stored bytes (little-endian, row-major); the length must be its declared byte length.</summary>
    public void WriteRaw(string name, ReadOnlySpan<byte> data)
    {
        var e = Expect(name);
        if (data.Length != e.ByteLength)
            throw new ArgumentException($"tensor '{name}' needs {e.ByteLength} bytes; {data.Length} were given.", nameof(data));
        _file.WriteAt(Layout.DataStart + e.Begin, data);
        _written.Add(name);
    }

    /// <summary>Writes a tensor's stored bytes read from <paramref name="data"/> (exactly its declared byte length), for tensors over 2 GB.</summary>
    public void WriteRaw(string name, Stream data)
    {
        var e = Expect(name);
        _file.WriteStream(Layout.DataStart + e.Begin, data, e.ByteLength, $"tensor '{name}'");
        _written.Add(name);
    }

    /// <summary>Checks every tensor was written, flushes to disk and moves the file into place (replacing any old one).</summary>
    public void Commit()
    {
        Complete();
        Publish();
    }

    /// <summary>First half of <see cref="Commit"/>: everything on disk in the temporary file.</summary>
    internal void Complete()
    {
        if (!_file.IsOpen) { _file.Complete(); return; }
        var missing = Pending.Select(t => t.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{Path}: no data was given for {missing.Count} tensor(s): {string.Join(", ", missing.Take(10))}.");
        // Every declared byte range has been written and they tile the data region, so the file already has its final length.
        _file.Complete();
    }

    /// <summary>Second half of <see cref="Commit"/>: the temporary file replaces the target.</summary>
    internal void Publish() => _file.Publish();

    /// <summary>Abandons an uncommitted file: the temporary file is removed and the target left as it was.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>Writes all tensors (dtype and shape taken from each) to <paramref name="path"/> in one go.</summary>
    public static void Write(string path, IEnumerable<(string Name, torch.Tensor Tensor)> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var list = tensors.ToList();
        using var writer = Create(path, list.Select(t => new TensorInfo(t.Name, TensorDTypes.FromScalarType(t.Tensor.dtype), t.Tensor.shape)), metadata);
        foreach (var (name, tensor) in list)
            writer.Write(name, tensor);
        writer.Commit();
    }

    /// <summary>
    /// Streams declared tensors to <paramref name="path"/>: <paramref name="provider"/> is asked for each, in file order, inside a
    /// dispose scope, so tensors it creates are freed once written. If it throws, no file (and no temporary file) is left.
    /// </summary>
    public static void Write(string path, IEnumerable<TensorInfo> tensors, Func<TensorInfo, torch.Tensor> provider, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        using var writer = Create(path, tensors, metadata);
        foreach (var entry in writer.Layout.Entries)
        {
            using var scope = torch.NewDisposeScope();
            writer.Write(entry.Name, provider(entry.Info));
        }
        writer.Commit();
    }

    private SafetensorsEntry Expect(string name)
    {
        if (!_file.IsOpen) throw new InvalidOperationException($"{Path}: the writer is already committed or disposed.");
        if (!_byName.TryGetValue(name, out var e)) throw new ArgumentException($"tensor '{name}' was not declared.", nameof(name));
        if (_written.Contains(name)) throw new InvalidOperationException($"tensor '{name}' was already written.");
        return e;
    }
}
