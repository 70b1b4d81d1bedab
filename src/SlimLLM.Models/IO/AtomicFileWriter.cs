using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.IO;

/// <summary>
/// The file half of the tensor-file writers (safetensors, GGUF): a temporary file beside the target, written at explicit
/// offsets (so tensors can arrive in any order), flushed and renamed over the target only when complete; disposed without
/// that, the temporary file is removed and the target left as it was. I/O failures become one-line errors naming the target.
/// </summary>
internal sealed class AtomicFileWriter : IDisposable
{
    private const int WriteChunk = 1 << 28;

    private FileStream? _stream;
    private bool _completed, _published;

    /// <param name="length">When given, the file is sized up front: bytes never written (padding) read as zero.</param>
    public AtomicFileWriter(string path, long? length = null)
    {
        Path = path;
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        TempPath = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{TempOwner.NewSuffix()}.tmp");
        IoGuard(path, () =>
        {
            Directory.CreateDirectory(folder);
            _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            if (length is long n) _stream.SetLength(n);
        });
    }

    public string Path { get; }
    public string TempPath { get; }
    public bool IsOpen => _stream is not null;

    public void WriteAt(long offset, ReadOnlySpan<byte> bytes)
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

    /// <summary>Reads back bytes written earlier (before <see cref="Complete"/>), e.g. to use a streamed output as a spill.</summary>
    public void ReadAt(long offset, Span<byte> destination)
    {
        var s = _stream ?? throw new ObjectDisposedException(Path);
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(s.SafeFileHandle, destination[done..], offset + done);
            if (n == 0) throw new InvalidOperationException($"{TempPath} ended at byte {offset + done} while reading back.");
            done += n;
        }
    }

    /// <summary>Writes a tensor's bytes (any device, any strides) at <paramref name="offset"/>, in chunks (no 2 GB limit).</summary>
    public void WriteTensor(long offset, torch.Tensor data)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = data.device_type == DeviceType.CPU && data.is_contiguous() ? data : data.cpu().contiguous();
        TensorMemory.ForEachChunk(cpu, (chunk, at) => WriteAt(offset + at, chunk));
    }

    /// <summary>Writes exactly <paramref name="byteLength"/> bytes read from <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public void WriteStream(long offset, Stream data, long byteLength, string what)
    {
        var buffer = new byte[(int)Math.Min(WriteChunk, Math.Max(1, byteLength))];
        long done = 0;
        while (done < byteLength)
        {
            var n = data.Read(buffer, 0, (int)Math.Min(buffer.Length, byteLength - done));
            if (n == 0) throw new ArgumentException($"{what} needs {byteLength} bytes; the stream ended after {done}.", nameof(data));
            WriteAt(offset + done, buffer.AsSpan(0, n));
            done += n;
        }
    }

    /// <summary>Everything on disk in the temporary file.</summary>
    public void Complete()
    {
        if (_completed) return;
        var s = _stream ?? throw new ObjectDisposedException(Path);
        IoGuard(Path, () =>
        {
            s.Flush(flushToDisk: true);
            s.Dispose();
        });
        _stream = null;
        _completed = true;
    }

    /// <summary>The temporary file replaces the target.</summary>
    public void Publish()
    {
        if (!_completed) throw new InvalidOperationException("Complete() must come before Publish().");
        if (_published) return;
        IoGuard(Path, () => File.Move(TempPath, Path, overwrite: true));
        _published = true;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_published)
        {
            try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public static void IoGuard(string path, Action action)
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

    private static SlimLLMException CannotWrite(string path, Exception ex)
    {
        if (ex is IOException io && DiskSpace.IsDiskFull(io))
        {
            var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            return new(path, $"the disk is full: {DiskSpace.Describe(folder)}.",
                "Free space on that drive, or write the output (output.dir / --out) to a larger one; nothing partial was kept.", inner: ex);
        }
        return new(path, $"cannot write: {ex.Message}", "Check that the folder is writable and the disk has room.", inner: ex);
    }
}
