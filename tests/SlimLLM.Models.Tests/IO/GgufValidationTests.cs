using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using TorchSharp;

namespace SlimLLM.Tests.IO;

public class GgufValidationTests
{
    private static readonly float[] SixFloats = [1f, -2f, 3.5f, 0.25f, -0f, 100f];

    private static GgufTestWriter TwoTensors() => new GgufTestWriter()
        .Add("general.architecture", GgufValueType.String, "llama")
        .AddF32("a", [2, 3], SixFloats)
        .AddF32("b", [3], [7f, 8f, 9f]);

    private static SlimLLMException OpenFails(TempDir dir, byte[] bytes)
    {
        var path = dir.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SlimLLMException>(() => GgufFile.Open(path));
        Assert.Equal(path, e.File);
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    [Fact]
    public void Small_file_round_trips_tensors_with_shapes_and_values()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("ok.gguf");
        TwoTensors().WriteTo(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(["a", "b"], f.Names);
        Assert.Equal(new TensorInfo("a", TensorDType.F32, [2, 3]).Shape, f.Info("a").Shape);
        using var a = f.Load("a");
        Assert.Equal([2L, 3], a.shape);
        Assert.Equal(SixFloats, a.data<float>().ToArray());
        Assert.Equal(3.5f, a[0, 2].item<float>());
        Assert.Equal(0.25f, a[1, 0].item<float>());
        using var b = f.Load("b");
        Assert.Equal([7f, 8f, 9f], b.data<float>().ToArray());
    }

    [Fact]
    public void F16_and_BF16_load_as_their_own_dtype()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("half.gguf");
        // 1.0, -2.0, 0.5 and 65504 in IEEE half; 1.0, -2.0, 0.5 and 3.0e38-ish in bfloat16 (upper halves of the f32 bits).
        ushort[] half = [0x3C00, 0xC000, 0x3800, 0x7BFF];
        ushort[] bf16 = [0x3F80, 0xC000, 0x3F00, 0x7F61];
        new GgufTestWriter()
            .AddTensor("h", GgmlType.F16, [2, 2], ToBytes(half))
            .AddTensor("bf", GgmlType.BF16, [4], ToBytes(bf16))
            .WriteTo(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(TensorDType.F16, f.Info("h").DType);
        Assert.Equal(TensorDType.BF16, f.Info("bf").DType);
        using var h = f.Load("h");
        Assert.Equal(torch.ScalarType.Float16, h.dtype);
        Assert.Equal([1f, -2f, 0.5f, 65504f], h.to_type(torch.ScalarType.Float32).data<float>().ToArray());
        using var bf = f.Load("bf");
        Assert.Equal(torch.ScalarType.BFloat16, bf.dtype);
        Assert.Equal([1f, -2f, 0.5f, BitConverter.UInt32BitsToSingle(0x7F610000)], bf.to_type(torch.ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void Quantized_tensor_is_listed_but_loading_it_says_how_to_convert()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("q.gguf");
        new GgufTestWriter()
            .AddTensor("blk.0.attn_q.weight", GgmlType.Q4_K, [1, 256], new byte[144])
            .AddTensor("odd", (GgmlType)77, [32], new byte[32])
            .WriteTo(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(GgmlType.Q4_K, f.Entry("blk.0.attn_q.weight").Type);
        Assert.Null(f.Entry("blk.0.attn_q.weight").ByteLength);
        var e = Assert.Throws<SlimLLMException>(() => f.Load("blk.0.attn_q.weight"));
        Assert.Equal("tensor 'blk.0.attn_q.weight' is stored as Q4_K, which is not supported (only F32, F16 and BF16 tensors can be read).", e.Cause);
        Assert.Contains("convert_hf_to_gguf.py --outtype f16", e.Fix);
        Assert.Equal("tensor 'odd' is stored as type 77, which is not supported (only F32, F16 and BF16 tensors can be read).",
            Assert.Throws<SlimLLMException>(() => f.Info("odd")).Cause);
    }

    [Fact]
    public void Version_2_is_read_and_other_versions_are_rejected()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("v2.gguf");
        var v2 = TwoTensors();
        v2.Version = 2;
        v2.WriteTo(path);
        using (var f = GgufFile.Open(path)) Assert.Equal(2u, f.Version);

        var v1 = TwoTensors();
        v1.Version = 1;
        Assert.Equal("GGUF version 1 is not supported (versions 2 and 3 are).", OpenFails(dir, v1.ToBytes()).Cause);
        var bigEndian = TwoTensors();
        bigEndian.Version = 0x03000000;
        Assert.Equal("big-endian GGUF files (version 3) are not supported.", OpenFails(dir, bigEndian.ToBytes()).Cause);
    }

    [Fact]
    public void Bad_magic_and_tiny_files_are_not_gguf()
    {
        using var dir = TestData.NewTempDir();
        var ggml = TwoTensors();
        ggml.Magic = 0x67676D6C; // "lmgg", the old GGML magic as stored
        Assert.Equal("not a GGUF file: it starts with bytes 6C 6D 67 67 instead of 47 47 55 46 (\"GGUF\").", OpenFails(dir, ggml.ToBytes()).Cause);
        Assert.Equal("not a GGUF file: it is only 10 bytes long (a GGUF header needs at least 24).", OpenFails(dir, new byte[10]).Cause);
        Assert.Equal("not a GGUF file: it is only 0 bytes long (a GGUF header needs at least 24).", OpenFails(dir, []).Cause);
    }

    [Fact]
    public void Missing_file_is_a_user_error()
    {
        var e = Assert.Throws<SlimLLMException>(() => GgufFile.Open("/nonexistent/model.gguf"));
        Assert.Equal("/nonexistent/model.gguf: file not found. Check the path to the .gguf file.", e.Message);
    }

    [Fact]
    public void Truncated_header_names_what_was_being_read()
    {
        using var dir = TestData.NewTempDir();
        var bytes = new GgufTestWriter()
            .Add("general.architecture", GgufValueType.String, "llama")
            .AddArray("tokenizer.ggml.tokens", GgufValueType.String, new[] { "<unk>", "<s>", "</s>", "hello" })
            .ToBytes();
        // Layout: 24-byte header; key/value 1 ends at byte 69; key 2 (29) + type (4) + element type (4) + count (8) end at 114;
        // then "<unk>" 114..127, "<s>" 127..138, "</s>" 138..150 and "hello" (length 150..158, text 158..163).
        var e = OpenFails(dir, bytes[..160]);
        Assert.Equal("the file ends at byte 160 but element 3 of metadata array 'tokenizer.ggml.tokens' (a string of 5 bytes) needs 13 bytes from byte 150: the file is truncated or corrupt.", e.Cause);
        // Cut before the array can hold even 4 empty strings: caught before reading any element.
        Assert.Equal("the file ends at byte 140 but metadata array 'tokenizer.ggml.tokens' (4 x string) needs 32 bytes from byte 106: the file is truncated or corrupt.",
            OpenFails(dir, bytes[..140]).Cause);
        Assert.Equal("Download or convert the file again.", e.Fix);
    }

    [Fact]
    public void Absurd_counts_are_reported_as_corruption_without_allocating()
    {
        using var dir = TestData.NewTempDir();
        var bytes = TwoTensors().ToBytes();
        BitConverter.GetBytes(1L << 40).CopyTo(bytes, 16); // metadata count
        Assert.Equal($"corrupt GGUF header: it declares {1L << 40} metadata entries and 2 tensors, more than its {bytes.Length} bytes can hold.",
            OpenFails(dir, bytes).Cause);
    }

    [Fact]
    public void Truncated_tensor_data_names_the_tensor()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("whole.gguf");
        var bytes = TwoTensors().ToBytes();
        File.WriteAllBytes(path, bytes);
        long bStart;
        using (var whole = GgufFile.Open(path))
        {
            Assert.Equal(32, whole.Entry("b").Offset);
            bStart = whole.DataOffset + 32;
        }
        // Tensor "b" holds 12 bytes; keep only 8 of them.
        var e = OpenFails(dir, bytes[..(int)(bStart + 8)]);
        Assert.Equal($"tensor 'b' (F32, 3, 12 bytes at byte {bStart}) extends past the end of the file ({bStart + 8} bytes): the file is truncated.", e.Cause);
    }

    [Fact]
    public void Alignment_from_metadata_is_honoured_and_validated()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("a64.gguf");
        var w = new GgufTestWriter { Alignment = 64 }
            .Add("general.alignment", GgufValueType.UInt32, 64u)
            .AddF32("a", [2, 3], SixFloats)
            .AddF32("b", [3], [7f, 8f, 9f]);
        w.WriteTo(path);
        using (var f = GgufFile.Open(path))
        {
            Assert.Equal(64u, f.Alignment);
            Assert.Equal(0, f.DataOffset % 64);
            Assert.Equal(64, f.Entry("b").Offset);
            using var b = f.Load("b");
            Assert.Equal([7f, 8f, 9f], b.data<float>().ToArray());
        }

        var bad = new GgufTestWriter().Add("general.alignment", GgufValueType.UInt32, 48u).AddF32("a", [1], [1f]);
        Assert.Equal("corrupt GGUF header: general.alignment is 48, which is not a power of two.", OpenFails(dir, bad.ToBytes()).Cause);
    }

    [Fact]
    public void Five_dimensional_tensor_is_corrupt()
    {
        using var dir = TestData.NewTempDir();
        var bytes = new GgufTestWriter().AddF32("t", [1, 1, 1, 1, 2], [1f, 2f]).ToBytes();
        Assert.Equal("corrupt GGUF header: tensor 't' has 5 dimensions (at most 4 are allowed).", OpenFails(dir, bytes).Cause);
    }

    [Fact]
    public void Load_after_dispose_throws()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("d.gguf");
        TwoTensors().WriteTo(path);
        var f = GgufFile.Open(path);
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.Load("a"));
    }

    private static byte[] ToBytes(ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
