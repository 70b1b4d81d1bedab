using System.Diagnostics;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using TorchSharp;
using static SlimLLM.Tests.IO.SafetensorsTestFiles;

namespace SlimLLM.Tests.IO;

/// <summary>Files bigger than memory or than 2 GB, made sparse so they cost no disk.</summary>
public class SafetensorsLargeFileTests : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir();

    public void Dispose() => _dir.Dispose();

    /// <summary>A sparse file: one U8 tensor of <paramref name="bigBytes"/> zero bytes (with marks written at the given places), then 2 floats.</summary>
    private string SparseFile(long bigBytes, params (long Offset, byte Value)[] marks)
    {
        var header = $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{bigBytes}],\"data_offsets\":[0,{bigBytes}]}}," +
                     $"\"tail\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{bigBytes},{bigBytes + 8}]}}}}";
        var prefix = Build(header, []);
        var path = _dir.File("huge.safetensors");
        using var s = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        s.Write(prefix);
        s.SetLength(prefix.Length + bigBytes + 8);
        foreach (var (offset, value) in marks)
        {
            s.Position = prefix.Length + offset;
            s.WriteByte(value);
        }
        s.Position = prefix.Length + bigBytes;
        s.Write(BitConverter.GetBytes(0.25f));
        s.Write(BitConverter.GetBytes(-4f));
        return path;
    }

    [Fact]
    public void OpeningAHundredGigabyteFileReadsOnlyTheHeader()
    {
        var path = SparseFile(100L << 30);
        var clock = Stopwatch.StartNew();
        using var file = new SafetensorsFile(path);
        using var tail = file.Load("tail");
        clock.Stop();
        Assert.Equal([0.25f, -4f], tail.data<float>().ToArray());
        Assert.Equal([100L << 30], file.Info("big").Shape);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"open + small load took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TensorsOver2GBLoadAndWriteWhole()
    {
        const long big = 2_300_000_000;
        var path = SparseFile(big, (0, 1), (int.MaxValue, 2), (2_200_000_001, 3), (big - 1, 4));
        var copy = _dir.File("copy.safetensors");
        using (var file = new SafetensorsFile(path))
        {
            using var t = file.Load("big");
            Assert.Equal([big], t.shape);
            Assert.Equal(1, t[0].item<byte>());
            Assert.Equal(2, t[int.MaxValue].item<byte>());
            Assert.Equal(3, t[2_200_000_001].item<byte>());
            Assert.Equal(4, t[big - 1].item<byte>());
            using var tail = file.Load("tail");
            SafetensorsWriter.Write(copy, [("big", t), ("tail", tail)], file.Metadata);
        }
        using var reread = new SafetensorsFile(copy);
        Assert.Equal(reread.DataStart + big + 8, new FileInfo(copy).Length);
        Assert.Equal(["tail", "big"], reread.Names); // F32 before U8
        var probe = new byte[1];
        using var raw = reread.OpenRaw("big");
        foreach (var (offset, value) in new[] { (0L, 1), (int.MaxValue, 2), (2_200_000_001L, 3), (big - 1, 4) })
        {
            raw.Position = offset;
            Assert.Equal(1, raw.Read(probe));
            Assert.Equal(value, probe[0]);
        }
    }
}
