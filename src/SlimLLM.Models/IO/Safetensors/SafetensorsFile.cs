using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// One .safetensors file, open read-only. Opening parses and validates only the header; tensor bytes are read when
/// <see cref="Load"/> or the raw accessors ask for them, with positioned reads (pread) straight into the tensor's memory.
/// Not memory-mapped on purpose: mapped pages a process has touched count in its resident set until unmapped, so streaming a
/// checkpoint larger than memory layer by layer through a mapping would report (and pin) the whole file as resident.
/// Concurrent Load calls are safe; do not dispose while they run.
/// </summary>
public sealed class SafetensorsFile : ITensorStore
{
    private readonly Dictionary<string, SafetensorsEntry> _byName;
    private readonly FileStream _stream;
    private readonly SafeFileHandle _handle;
    private int _disposed;

    public SafetensorsFile(string path)
    {
        Path = path;
        if (Directory.Exists(path))
            throw new SlimLLMException(path, "is a folder, not a .safetensors file.", "Pass the model file, or open the folder with SafetensorsStore.Open.");
        if (!File.Exists(path))
            throw new SlimLLMException(path, "file not found.", "Check the path.");

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlimLLMException(path, $"cannot be opened: {e.Message}", "Check the file's permissions.", inner: e);
        }
        try
        {
            var fileLength = stream.Length;
            FileLength = fileLength;
            if (fileLength < 8)
                throw SafetensorsHeaderParser.Fail(path, $"file is {fileLength} bytes long, shorter than the 8-byte header length that starts every safetensors file.");

            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(stream, prefix, 0);
            var headerLength = SafetensorsHeaderParser.ValidateLength(path, fileLength, BinaryPrimitives.ReadUInt64LittleEndian(prefix));
            var headerBytes = new byte[headerLength];
            ReadExactly(stream, headerBytes, 8);

            DataStart = 8 + headerLength;
            var header = SafetensorsHeaderParser.Parse(path, headerBytes, fileLength - DataStart);
            Entries = header.Entries;
            Metadata = header.Metadata;
            _byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
            Names = header.Entries.Select(e => e.Name).ToList().AsReadOnly();
            _stream = stream;
            _handle = stream.SafeFileHandle;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public static SafetensorsFile Open(string path) => new(path);

    public string Path { get; }
    public long FileLength { get; }
    /// <summary>File offset of the data region (8 + header length); entry offsets are relative to it.</summary>
    public long DataStart { get; }
    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }
    /// <summary>The header's <c>__metadata__</c>, in file order (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<string> Names { get; }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo Info(string name) => Entry(name).Info;

    public SafetensorsEntry Entry(string name) =>
        _byName.TryGetValue(name, out var e)
            ? e
            : throw new SlimLLMException(Path, $"has no tensor '{name}'.", "Check the tensor name and that this is the right checkpoint.");

    public torch.Tensor Load(string name)
    {
        var e = Entry(name);
        ThrowIfDisposed();
        var tensor = torch.empty(e.Info.Shape, e.Info.DType.ToScalarType());
        try
        {
            TensorMemory.ForEachChunk(tensor, (chunk, offset) => ReadAt(chunk, DataStart + e.Begin + offset));
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return tensor;
    }

    /// <summary>Copies the stored bytes of a tensor; <paramref name="destination"/> must be exactly its byte length.</summary>
    public void CopyRaw(string name, Span<byte> destination)
    {
        var e = Entry(name);
        if (destination.Length != e.ByteLength)
            throw new ArgumentException($"tensor '{name}' has {e.ByteLength} bytes; the destination has {destination.Length}.", nameof(destination));
        ThrowIfDisposed();
        ReadAt(destination, DataStart + e.Begin);
    }

    /// <summary>A read-only stream over the stored bytes of a tensor (any size), e.g. for hashing. Valid until this file is disposed.</summary>
    public Stream OpenRaw(string name)
    {
        var e = Entry(name);
        ThrowIfDisposed();
        return new FileRangeStream(_handle, DataStart + e.Begin, e.ByteLength);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stream.Dispose();
    }

    private void ReadAt(Span<byte> destination, long offset)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(_handle, destination[done..], offset + done);
            if (n == 0) throw new SlimLLMException(Path, $"file ended at byte {offset + done} while reading a tensor (was it truncated after opening?).", "Re-download or re-create the file.");
            done += n;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    private static void ReadExactly(FileStream stream, Span<byte> buffer, long offset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(stream.SafeFileHandle, buffer[done..], offset + done);
            if (n == 0) throw SafetensorsHeaderParser.Fail(stream.Name, "file shrank while its header was being read.");
            done += n;
        }
    }
}
