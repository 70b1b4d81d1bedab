using System.Buffers.Binary;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// Writes one .safetensors file atomically, streaming: declare every tensor (name, dtype, shape) up front, then hand over each
/// tensor's data once, in any order (each goes straight to its place in the file), then <see cref="Commit"/>.
/// Data go to a temporary file beside the target that replaces it only on commit; disposing without commit removes it.
/// The layout is the Hugging Face library's (see <see cref="SafetensorsLayout"/>), so that library reads the result.
/// </summary>
public sealed unsafe class SafetensorsWriter : IDisposable
{
    private const int WriteChunk = 1 << 28;

    private readonly Dictionary<string, SafetensorsEntry> _byName;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private FileStream? _stream;
    private bool _completed;
    private bool _published;

    private SafetensorsWriter(string path, SafetensorsLayout layout)
    {
        Path = path;
        Layout = layout;
        _byName = layout.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        TempPath = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        IoGuard(path, () =>
        {
            Directory.CreateDirectory(folder);
            _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        });
        try
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)layout.HeaderBytes.Length);
            WriteAt(0, prefix);
            WriteAt(8, layout.HeaderBytes);
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
    public string TempPath { get; }
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
        using var scope = torch.NewDisposeScope();
        var cpu = data.device_type == DeviceType.CPU && data.is_contiguous() ? data : data.cpu().contiguous();
        var source = TensorMemory.DataPointer(cpu);
        for (long done = 0; done < e.ByteLength; done += WriteChunk)
        {
            var n = (int)Math.Min(WriteChunk, e.ByteLength - done);
            WriteAt(Layout.DataStart + e.Begin + done, new ReadOnlySpan<byte>(source + done, n));
        }
        _written.Add(name);
    }

    /// <summary>Writes a tensor's stored bytes (little-endian, row-major); the length must be its declared byte length.</summary>
    public void WriteRaw(string name, ReadOnlySpan<byte> data)
    {
        var e = Expect(name);
        if (data.Length != e.ByteLength)
            throw new ArgumentException($"tensor '{name}' needs {e.ByteLength} bytes; {data.Length} were given.", nameof(data));
        WriteAt(Layout.DataStart + e.Begin, data);
        _written.Add(name);
    }

    /// <summary>Writes a tensor's stored bytes read from <paramref name="data"/> (exactly its declared byte length), for tensors over 2 GB.</summary>
    public void WriteRaw(string name, Stream data)
    {
        var e = Expect(name);
        var buffer = new byte[(int)Math.Min(WriteChunk, Math.Max(1, e.ByteLength))];
        long done = 0;
        while (done < e.ByteLength)
        {
            var n = data.Read(buffer, 0, (int)Math.Min(buffer.Length, e.ByteLength - done));
            if (n == 0) throw new ArgumentException($"tensor '{name}' needs {e.ByteLength} bytes; the stream ended after {done}.", nameof(data));
            WriteAt(Layout.DataStart + e.Begin + done, buffer.AsSpan(0, n));
            done += n;
        }
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
        if (_completed) return;
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var missing = Pending.Select(t => t.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{Path}: no data was given for {missing.Count} tensor(s): {string.Join(", ", missing.Take(10))}.");
        // Every declared byte range has been written and they tile the data region, so the file already has its final length.
        var s = _stream;
        IoGuard(Path, () =>
        {
            s.Flush(flushToDisk: true);
            s.Dispose();
        });
        _stream = null;
        _completed = true;
    }

    /// <summary>Second half of <see cref="Commit"/>: the temporary file replaces the target.</summary>
    internal void Publish()
    {
        if (!_completed) throw new InvalidOperationException("Complete() must come before Publish().");
        if (_published) return;
        IoGuard(Path, () => File.Move(TempPath, Path, overwrite: true));
        _published = true;
    }

    /// <summary>Abandons an uncommitted file: the temporary file is removed and the target left as it was.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_published)
        {
            try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

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
        if (_stream is null) throw new InvalidOperationException($"{Path}: the writer is already committed or disposed.");
        if (!_byName.TryGetValue(name, out var e)) throw new ArgumentException($"tensor '{name}' was not declared.", nameof(name));
        if (_written.Contains(name)) throw new InvalidOperationException($"tensor '{name}' was already written.");
        return e;
    }

    private void WriteAt(long offset, ReadOnlySpan<byte> bytes)
    {
        try
        {
            RandomAccess.Write(_stream!.SafeFileHandle, bytes, offset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(Path, ex);
        }
    }

    internal static void IoGuard(string path, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(path, ex);
        }
    }

    private static SlimLLMException CannotWrite(string path, Exception ex) =>
        new(path, $"cannot write: {ex.Message}", "Check that the folder is writable and the disk has room.", inner: ex);
}
