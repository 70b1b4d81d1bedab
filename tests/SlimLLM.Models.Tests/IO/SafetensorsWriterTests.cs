using System.Text;
using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using TorchSharp;
using static SlimLLM.Tests.IO.SafetensorsTestFiles;

namespace SlimLLM.Tests.IO;

public class SafetensorsWriterTests : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static TensorInfo T(string name, TensorDType dtype, params long[] shape) => new(name, dtype, shape);

    [Fact]
    public void LaysOutTensorsLikeTheHuggingFaceLibrary()
    {
        // Declared shuffled; the Rust crate sorts by dtype (I64 > F64 > F32 > I32 > BF16 > F16 > I16 > I8 > U8 > BOOL), then by name bytes.
        TensorInfo[] declared =
        [
            T("u8", TensorDType.U8, 2), T("w.2", TensorDType.F32, 1), T("flag.mask.x", TensorDType.Bool, 3), T("h", TensorDType.F16, 2),
            T("w.10", TensorDType.F32, 2), T("i8", TensorDType.I8, 1), T("f64", TensorDType.F64, 1), T("bf", TensorDType.BF16, 2),
            T("i16", TensorDType.I16, 1), T("W", TensorDType.F32, 1), T("a", TensorDType.F32, 1), T("i32", TensorDType.I32, 1), T("i64", TensorDType.I64, 1, 1),
        ];
        var layout = SafetensorsLayout.Plan(declared);

        const string expected = "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"i64\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[0,8]}," +
            "\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"W\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}," +
            "\"w.10\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}," +
            "\"w.2\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]}," +
            "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[36,40]}," +
            "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[40,44]}," +
            "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[44,48]}," +
            "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[48,50]}," +
            "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[50,51]}," +
            "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[51,53]}," +
            "\"flag.mask.x\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[53,56]}}";
        var header = Encoding.UTF8.GetString(layout.HeaderBytes);
        Assert.Equal(expected, header.TrimEnd(' '));
        Assert.Equal(772, expected.Length);
        Assert.Equal(776, layout.HeaderBytes.Length); // spaces up to the next multiple of 8
        Assert.Equal(8 + layout.HeaderBytes.Length + 56, layout.FileLength);
    }

    [Fact]
    public void EscapesStringsAsSerdeJsonDoes()
    {
        var layout = SafetensorsLayout.Plan([T("t", TensorDType.U8, 1)],
            [new("note", "say \"hi\"\\ \n\t\r\b\f\u0001\u001f\u007f é ✓ <&>+/")]);
        var header = Encoding.UTF8.GetString(layout.HeaderBytes).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"say \\\"hi\\\"\\\\ \\n\\t\\r\\b\\f\\u0001\\u001f\u007f é ✓ <&>+/\"}," +
                     "\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", header);
    }

    [Fact]
    public void FormatIsAlwaysPtAndKeepsTheCallersPosition()
    {
        var given = SafetensorsLayout.Plan([], [new("a", "1"), new("format", "mlx"), new("b", "2")]);
        Assert.Equal(["a=1", "format=pt", "b=2"], given.Metadata.Select(kv => $"{kv.Key}={kv.Value}"));
        var absent = SafetensorsLayout.Plan([], [new("z", "9")]);
        Assert.Equal(["format=pt", "z=9"], absent.Metadata.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal("{\"__metadata__\":{\"format\":\"pt\",\"z\":\"9\"}}", Encoding.UTF8.GetString(absent.HeaderBytes).TrimEnd(' '));
    }

    public static TheoryData<string> DTypeCases => new() { "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL" };

    private static torch.Tensor Sample(string dtype)
    {
        float[] floats = [0f, -0f, 1.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -3.1415927f, 65504f, 5.9604645e-8f, 3.3895314e38f];
        return dtype switch
        {
            "F32" => torch.tensor(floats),
            "F16" => torch.tensor(floats).to(torch.ScalarType.Float16),
            "BF16" => torch.tensor(floats).to(torch.ScalarType.BFloat16),
            "F64" => torch.tensor(new[] { 0d, -0d, double.NaN, double.Epsilon, Math.PI, -1e308 }),
            "I64" => torch.tensor(new[] { long.MinValue, -1L, 0L, long.MaxValue }),
            "I32" => torch.tensor(new[] { int.MinValue, -1, 7, int.MaxValue }),
            "I16" => torch.tensor(new short[] { short.MinValue, -1, 7, short.MaxValue }),
            "I8" => torch.tensor(new sbyte[] { sbyte.MinValue, -1, 7, sbyte.MaxValue }),
            "U8" => torch.tensor(new byte[] { 0, 1, 128, 255 }),
            "BOOL" => torch.tensor(new[] { true, false, true }),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    [Theory]
    [MemberData(nameof(DTypeCases))]
    public void EveryDTypeRoundTripsBitForBit(string dtypeName)
    {
        using var scope = torch.NewDisposeScope();
        var source = Sample(dtypeName).reshape(1, -1);
        var path = _dir.File($"{dtypeName}.safetensors");
        SafetensorsWriter.Write(path, [("x", source)]);

        using var file = new SafetensorsFile(path);
        Assert.True(SafetensorsDTypes.TryParse(dtypeName, out var dtype));
        Assert.Equal(dtype, file.Info("x").DType);
        Assert.Equal(source.shape, file.Info("x").Shape);
        var loaded = file.Load("x");
        Assert.Equal(source.dtype, loaded.dtype);
        Assert.Equal(source.bytes.ToArray(), loaded.bytes.ToArray());
        var raw = new byte[source.bytes.Length];
        file.CopyRaw("x", raw);
        Assert.Equal(source.bytes.ToArray(), raw);
    }

    [Fact]
    public void HalfPrecisionValuesSurviveExactly()
    {
        using var scope = torch.NewDisposeScope();
        var path = _dir.File("half.safetensors");
        SafetensorsWriter.Write(path, [("h", Sample("F16")), ("b", Sample("BF16"))]);
        using var file = new SafetensorsFile(path);
        var h = file.Load("h").to(torch.ScalarType.Float32).data<float>().ToArray();
        var b = file.Load("b").to(torch.ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(65504f, h[8]);            // largest finite half
        Assert.Equal(5.9604645e-8f, h[9]);     // smallest half subnormal
        Assert.Equal(-3.140625f, h[7]);
        Assert.Equal(float.NegativeZero, h[1]);
        Assert.True(float.IsNegative(h[1]));
        Assert.Equal(-3.140625f, b[7]);
        Assert.Equal(3.3895314e38f, b[10]);    // largest finite bfloat16
        Assert.True(float.IsNaN(b[3]));
    }

    [Fact]
    public void DataCanArriveInAnyOrderAsTensorsBytesOrStreams()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, 2f, 3f });
        var y = torch.tensor(new sbyte[] { -1, 2, -3, 4 });
        var z = torch.tensor(new[] { 0.5f, -8f }).to(torch.ScalarType.BFloat16);
        var reference = _dir.File("reference.safetensors");
        SafetensorsWriter.Write(reference, [("x", x), ("y", y), ("z", z)], [new("origin", "test")]);

        var streamed = _dir.File("streamed.safetensors");
        using (var writer = SafetensorsWriter.Create(streamed, [T("x", TensorDType.F32, 3), T("y", TensorDType.I8, 4), T("z", TensorDType.BF16, 2)], [new("origin", "test")]))
        {
            Assert.Equal(["x", "z", "y"], writer.Pending.Select(t => t.Name));
            writer.Write("z", z);
            writer.WriteRaw("y", y.bytes);
            Assert.Equal(["x"], writer.Pending.Select(t => t.Name));
            writer.WriteRaw("x", new MemoryStream(x.bytes.ToArray()));
            Assert.False(File.Exists(streamed));
            writer.Commit();
        }
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(streamed));
        Assert.Equal(["reference.safetensors", "streamed.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenInRowMajorOrder()
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3).t();
        Assert.False(m.is_contiguous());
        var path = _dir.File("t.safetensors");
        SafetensorsWriter.Write(path, [("m", m)]);
        using var file = new SafetensorsFile(path);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], file.Load("m").data<float>().ToArray());
    }

    [Fact]
    public void MisuseIsReportedToTheCaller()
    {
        using var scope = torch.NewDisposeScope();
        var path = _dir.File("misuse.safetensors");
        using (var writer = SafetensorsWriter.Create(path, [T("a", TensorDType.F32, 2), T("b", TensorDType.U8, 1)]))
        {
            var wrong = Assert.Throws<ArgumentException>(() => writer.Write("a", torch.zeros(3)));
            Assert.StartsWith("tensor 'a' was declared F32 [2] but the data is F32 [3].", wrong.Message);
            Assert.Throws<ArgumentException>(() => writer.Write("a", torch.zeros(2, dtype: torch.ScalarType.Float64)));
            Assert.Throws<ArgumentException>(() => writer.Write("c", torch.zeros(2)));
            Assert.Throws<ArgumentException>(() => writer.WriteRaw("b", new byte[2]));
            writer.Write("a", torch.zeros(2));
            Assert.Throws<InvalidOperationException>(() => writer.Write("a", torch.zeros(2)));
            var missing = Assert.Throws<InvalidOperationException>(writer.Commit);
            Assert.Contains("no data was given for 1 tensor(s): b", missing.Message);
        }
        Assert.Empty(Directory.GetFiles(_dir.Path));
        Assert.Throws<ArgumentException>(() => SafetensorsLayout.Plan([T("a", TensorDType.U8, 1), T("a", TensorDType.U8, 1)]));
        Assert.Throws<ArgumentException>(() => SafetensorsLayout.Plan([T("__metadata__", TensorDType.U8, 1)]));
    }

    [Fact]
    public void AFailingDataProviderLeavesNoFileAndNoTempFile()
    {
        var path = _dir.File("model.safetensors");
        var asked = new List<string>();
        var ex = Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path,
            [T("a", TensorDType.F32, 4), T("b", TensorDType.F32, 4), T("c", TensorDType.F32, 4)],
            info =>
            {
                asked.Add(info.Name);
                return info.Name == "b" ? throw new InvalidOperationException("provider broke") : torch.ones(4);
            }));
        Assert.Equal("provider broke", ex.Message);
        Assert.Equal(["a", "b"], asked);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void AFailedWriteKeepsThePreviousFileIntact()
    {
        var path = _dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [("old", torch.ones(3))]);
        var before = Sha256(path);
        Assert.Throws<InvalidOperationException>(() =>
            SafetensorsWriter.Write(path, [T("new", TensorDType.F32, 4)], _ => throw new InvalidOperationException("no data")));
        Assert.Equal(before, Sha256(path));
        Assert.Equal(["model.safetensors"], Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void OverwritingALargerFileLeavesExactlyTheNewBytes()
    {
        using var scope = torch.NewDisposeScope();
        var path = _dir.File("model.safetensors");
        File.WriteAllBytes(path, Counting(1 << 20));
        var fresh = _dir.File("fresh.safetensors");
        (string, torch.Tensor)[] tensors = [("w", torch.arange(10, dtype: torch.ScalarType.Float32))];
        SafetensorsWriter.Write(fresh, tensors);
        SafetensorsWriter.Write(path, tensors);

        Assert.Equal(File.ReadAllBytes(fresh), File.ReadAllBytes(path));
        Assert.Equal(SafetensorsLayout.Plan([T("w", TensorDType.F32, 10)]).FileLength, new FileInfo(path).Length);
        Assert.Equal(8 + 88 + 40, new FileInfo(path).Length); // 87-byte header JSON padded to 88
    }
}
