using System.Text;
using SlimLLM.Errors;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// Bounds-checked little-endian cursor over the mapped file. Every read names what it was reading, so a truncated or
/// corrupt header fails with a message that says where and what, never with an access violation.
/// </summary>
internal sealed unsafe class GgufHeaderReader
{
    private readonly byte* _base;
    private readonly string _path;

    public GgufHeaderReader(byte* data, long length, string path)
    {
        _base = data;
        Length = length;
        _path = path;
    }

    public long Length { get; }
    public long Position { get; set; }
    public long Remaining => Length - Position;

    public byte ReadU8(string what) => *Take(1, what);
    public uint ReadU32(string what) => *(uint*)Take(4, what);
    public ulong ReadU64(string what) => *(ulong*)Take(8, what);

    /// <summary>A u64 count or length that must also fit in a long.</summary>
    public long ReadCount(string what)
    {
        var start = Position;
        var v = ReadU64(what);
        if (v > long.MaxValue)
            throw Corrupt($"{what} at byte {start} is {v}, which is impossibly large");
        return (long)v;
    }

    public string ReadString(string what)
    {
        var start = Position;
        var length = ReadCount($"the length of {what}");
        if (length > Remaining)
            throw Truncated(start, length + 8, $"{what} (a string of {length} bytes)");
        if (length > int.MaxValue)
            throw Corrupt($"{what} at byte {start} claims {length} bytes");
        var s = Encoding.UTF8.GetString(Take(length, what), (int)length);
        return s;
    }

    /// <summary>Copies <paramref name="count"/> fixed-size elements into a new array in one block copy.</summary>
    public T[] ReadArray<T>(long count, string what) where T : unmanaged
    {
        var bytes = checked(count * sizeof(T));
        var source = Take(bytes, what);
        var result = new T[count];
        fixed (T* dest = result)
            Buffer.MemoryCopy(source, dest, bytes, bytes);
        return result;
    }

    public byte* Take(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Truncated(Position, count, what);
        var p = _base + Position;
        Position += count;
        return p;
    }

    public SlimLLMException Truncated(long at, long needed, string what) => new(_path,
        $"the file ends at byte {Length} but {what} needs {needed} bytes from byte {at}: the file is truncated or corrupt.",
        "Download or convert the file again.");

    public SlimLLMException Corrupt(string cause) => new(_path, $"corrupt GGUF header: {cause}.", "Download or convert the file again.");
}
