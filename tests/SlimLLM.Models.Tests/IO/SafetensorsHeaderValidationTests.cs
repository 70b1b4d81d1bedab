using SlimLLM.Errors;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using static SlimLLM.Tests.IO.SafetensorsTestFiles;

namespace SlimLLM.Tests.IO;

public class SafetensorsHeaderValidationTests : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private SlimLLMException OpenFails(byte[] bytes, string fileName = "broken.safetensors")
    {
        var path = Write(_dir.File(fileName), bytes);
        var ex = Assert.Throws<SlimLLMException>(() => new SafetensorsFile(path).Dispose());
        Assert.Equal(path, ex.File);
        Assert.Contains(fileName, ex.Message);
        return ex;
    }

    private const string F32x2x3 = "\"dtype\":\"F32\",\"shape\":[2,3]";

    [Fact]
    public void FileShorterThanEightBytes()
    {
        var ex = OpenFails([1, 2, 3]);
        Assert.Contains("file is 3 bytes long, shorter than the 8-byte header length that starts every safetensors file", ex.Message);
    }

    [Fact]
    public void EmptyFile()
    {
        var ex = OpenFails([]);
        Assert.Contains("file is 0 bytes long", ex.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var ex = OpenFails(Build("{}", new byte[18], declaredHeaderLength: 1000));
        Assert.Contains("header length 1000 bytes runs past the end of the file (28 bytes, so at most 20 bytes of header)", ex.Message);
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        var ex = OpenFails(Build("{}", new byte[6], declaredHeaderLength: 0x7856_3412_0000_0000));
        Assert.Contains($"header length {0x7856_3412_0000_0000UL} bytes is absurd (more than 100000000 bytes)", ex.Message);
    }

    [Fact]
    public void HeaderNotUtf8()
    {
        var header = "{\"aX\":{}}"u8.ToArray();
        header[3] = 0xFF;
        var ex = OpenFails(Build(header, []));
        Assert.Contains("header is not valid UTF-8 (first bad byte at header offset 3)", ex.Message);
    }

    [Fact]
    public void HeaderNotJson()
    {
        var ex = OpenFails(Build("{\"w\":{\"dtype\":", []));
        Assert.Contains("header is not valid JSON (line 1, byte ", ex.Message);
    }

    [Fact]
    public void HeaderNotAnObject()
    {
        var ex = OpenFails(Build("[1,2]   ", []));
        Assert.Contains("header is a JSON array, not a JSON object", ex.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'w' has no \"dtype\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "tensor 'w' has no \"shape\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "tensor 'w' has no \"data_offsets\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "tensor 'w' has shape element -2, which is not a non-negative integer")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", "tensor 'w' has data_offsets [8]; it must be [begin, end]")]
    [InlineData("{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'w' has \"dtype\" as a JSON number; expected a string")]
    [InlineData("{\"w\":[1]}", "tensor 'w' is a JSON array, not an object with dtype, shape and data_offsets")]
    [InlineData("{\"__metadata__\":{\"n\":3}}", "\"__metadata__\" entry 'n' is a JSON number; safetensors metadata values must be strings")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", "tensor 'w' appears twice in the header")]
    public void MalformedEntry(string header, string expected)
    {
        var ex = OpenFails(Build(header, new byte[16]));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void UnknownDType()
    {
        var ex = OpenFails(Build("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]));
        Assert.Contains("tensor 'w' has unsupported dtype \"F8_E4M3\"; supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.", ex.Message);
    }

    [Fact]
    public void ShapeDisagreesWithOffsets()
    {
        var ex = OpenFails(Build($"{{\"w\":{{{F32x2x3},\"data_offsets\":[0,20]}}}}", new byte[24]));
        Assert.Contains("tensor 'w' has shape [2, 3] of F32, which is 24 bytes, but its data_offsets [0, 20] span 20 bytes", ex.Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        var ex = OpenFails(Build($"{{\"a\":{{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}},\"w\":{{{F32x2x3},\"data_offsets\":[4,28]}}}}", new byte[16]));
        Assert.Contains("file is truncated: tensor w needs bytes up to 28 but the data region has 16", ex.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        var ex = OpenFails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", new byte[24]));
        Assert.Contains("tensors 'a' [0, 16] and 'b' [8, 24] overlap", ex.Message);
    }

    [Fact]
    public void EveryErrorSaysWhatToDo()
    {
        var ex = OpenFails(Build("[]", []));
        Assert.Equal(SafetensorsHeaderParser.RedownloadFix, ex.Fix);
        Assert.EndsWith(SafetensorsHeaderParser.RedownloadFix, ex.Message);
    }

    [Fact]
    public void MissingFileAndFolder()
    {
        var missing = _dir.File("nope.safetensors");
        var ex = Assert.Throws<SlimLLMException>(() => new SafetensorsFile(missing));
        Assert.StartsWith($"{missing}: file not found.", ex.Message);

        var folder = Assert.Throws<SlimLLMException>(() => new SafetensorsFile(_dir.Path));
        Assert.StartsWith($"{_dir.Path}: is a folder, not a .safetensors file.", folder.Message);
    }

    [Fact]
    public void AskingForAnAbsentTensorNamesFileAndTensor()
    {
        var path = Write(_dir.File("ok.safetensors"), Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", [5, 6]));
        using var file = new SafetensorsFile(path);
        var ex = Assert.Throws<SlimLLMException>(() => file.Load("b"));
        Assert.StartsWith($"{path}: has no tensor 'b'.", ex.Message);
        Assert.Throws<SlimLLMException>(() => file.Info("b"));
    }

    [Fact]
    public void AcceptsAnyHeaderOrderGapsAndEmptyTensors()
    {
        // Data order differs from header order, a 4-byte gap after 'late', an empty tensor sharing an offset, a 0-d scalar.
        var header = "{\"late\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[8,12]}," +
                     "\"early\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
                     "\"none\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]}," +
                     "\"scalar\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[16,20]}}";
        var data = new byte[20];
        BitConverter.GetBytes(1.5f).CopyTo(data, 0);
        BitConverter.GetBytes(-2f).CopyTo(data, 4);
        BitConverter.GetBytes((short)-7).CopyTo(data, 8);
        BitConverter.GetBytes((short)300).CopyTo(data, 10);
        BitConverter.GetBytes(123456).CopyTo(data, 16);
        var path = Write(_dir.File("odd.safetensors"), Build(header, data));

        using var file = new SafetensorsFile(path);
        Assert.Equal(["late", "early", "none", "scalar"], file.Names);
        Assert.Empty(file.Metadata);
        using var early = file.Load("early");
        Assert.Equal([1.5f, -2f], early.data<float>().ToArray());
        using var late = file.Load("late");
        Assert.Equal(new short[] { -7, 300 }, late.data<short>().ToArray());
        using var none = file.Load("none");
        Assert.Equal([0L, 3L], none.shape);
        using var scalar = file.Load("scalar");
        Assert.Empty(scalar.shape);
        Assert.Equal(123456, scalar.item<int>());
    }
}
