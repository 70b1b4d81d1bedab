using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.IO;

public class GgufWriterTests
{
    private static GgufMetadataBuilder EveryType() => new GgufMetadataBuilder()
        .Set("general.architecture", "llama")
        .Set("t.u8", (byte)200).Set("t.i8", (sbyte)-100).Set("t.u16", (ushort)60000).Set("t.i16", (short)-30000)
        .Set("t.u32", 4_000_000_000u).Set("t.i32", -2_000_000_000).Set("t.u64", ulong.MaxValue).Set("t.i64", long.MinValue)
        .Set("t.f32", 1e-6f).Set("t.f64", Math.PI).Set("t.bool", true)
        .SetArray("t.strings", ["a", "\u2581b", ""]).SetArray("t.ints", [6, 4, -1]).SetArray("t.floats", [0.5f, -1000f])
        .SetArray("t.bools", [true, false]).SetArray("t.u64s", [1UL, 2UL])
        .SetArray("t.nested", [new GgufValue(GgufValueType.Array, new uint[] { 1, 2 }, GgufValueType.UInt32),
                               new GgufValue(GgufValueType.Array, new[] { "x" }, GgufValueType.String)]);

    private static GgufTestWriter EveryTypeBySpec() => new GgufTestWriter()
        .Add("general.architecture", GgufValueType.String, "llama")
        .Add("t.u8", GgufValueType.UInt8, (byte)200).Add("t.i8", GgufValueType.Int8, (sbyte)-100)
        .Add("t.u16", GgufValueType.UInt16, (ushort)60000).Add("t.i16", GgufValueType.Int16, (short)-30000)
        .Add("t.u32", GgufValueType.UInt32, 4_000_000_000u).Add("t.i32", GgufValueType.Int32, -2_000_000_000)
        .Add("t.u64", GgufValueType.UInt64, ulong.MaxValue).Add("t.i64", GgufValueType.Int64, long.MinValue)
        .Add("t.f32", GgufValueType.Float32, 1e-6f).Add("t.f64", GgufValueType.Float64, Math.PI).Add("t.bool", GgufValueType.Bool, true)
        .AddArray("t.strings", GgufValueType.String, new[] { "a", "\u2581b", "" }).AddArray("t.ints", GgufValueType.Int32, new[] { 6, 4, -1 })
        .AddArray("t.floats", GgufValueType.Float32, new[] { 0.5f, -1000f }).AddArray("t.bools", GgufValueType.Bool, new[] { true, false })
        .AddArray("t.u64s", GgufValueType.UInt64, new[] { 1UL, 2UL })
        .AddArray("t.nested", GgufValueType.Array, new object[] { (GgufValueType.UInt32, (Array)new uint[] { 1, 2 }), (GgufValueType.String, (Array)new[] { "x" }) })
        .Add("general.alignment", GgufValueType.UInt32, 32u);

    [Fact]
    public void Output_is_byte_for_byte_the_layout_of_the_specification()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("a.gguf");
        var weights = Enumerable.Range(0, 15).Select(i => i * 0.25f - 1).ToArray(); // 60 bytes: the next tensor needs padding
        var norm = new[] { 1f, 2f, 3f };
        using (var writer = GgufWriter.Create(path, EveryType(),
                   [new("blk.0.attn_q.weight", GgmlType.F32, [3, 5]), new("output_norm.weight", GgmlType.F32, [3])]))
        {
            writer.Write("output_norm.weight", tensor(norm)); // any order
            writer.Write("blk.0.attn_q.weight", tensor(weights).reshape(3, 5));
            writer.Commit();
        }
        var expected = EveryTypeBySpec().AddF32("blk.0.attn_q.weight", [3, 5], weights).AddF32("output_norm.weight", [3], norm).ToBytes();
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Every_value_type_and_tensor_type_reads_back()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("b.gguf");
        using var f32 = randn(7, 3);
        using var f16 = randn(5).to(ScalarType.Float16);
        using var bf16 = randn(2, 3, 4).to(ScalarType.BFloat16);
        var metadata = EveryType().Set("general.alignment", 64u);
        GgufWriter.Write(path, metadata,
            [new("a", GgmlType.F32, [7, 3]), new("b", GgmlType.F16, [5]), new("c", GgmlType.BF16, [2, 3, 4])],
            t => t.Name switch { "a" => f32.t().contiguous().t(), "b" => f16, _ => bf16 }); // a non-contiguous view is fine
        using var file = GgufFile.Open(path);
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.Offset % 64));
        Assert.Equal(file.DataOffset + 128 + 64 + 64, new FileInfo(path).Length); // 84, 10 and 48 bytes, each padded to 64
        Assert.True(TensorAssert.Same(file.Load("a"), f32));
        Assert.True(TensorAssert.Same(file.Load("b"), f16));
        Assert.True(TensorAssert.Same(file.Load("c"), bf16));
        var m = file.Metadata;
        Assert.Equal(EveryType().Entries.Select(e => e.Key).Append("general.alignment"), m.Keys);
        Assert.Equal((byte)200, m["t.u8"].Value);
        Assert.Equal((sbyte)-100, m["t.i8"].Value);
        Assert.Equal(long.MinValue, m["t.i64"].Value);
        Assert.Equal(ulong.MaxValue, m["t.u64"].Value);
        Assert.Equal(1e-6f, m["t.f32"].Value);
        Assert.Equal(Math.PI, m["t.f64"].Value);
        Assert.Equal(["a", "\u2581b", ""], m.GetStringArray("t.strings"));
        Assert.Equal([6, 4, -1], m.GetIntArray("t.ints"));
        Assert.Equal(new[] { true, false }, (bool[])m["t.bools"].Value);
        var nested = (GgufValue[])m["t.nested"].Value;
        Assert.Equal(new uint[] { 1, 2 }, (uint[])nested[0].Value);
        Assert.Equal(["x"], (string[])nested[1].Value);
    }

    [Fact]
    public void Nothing_replaces_the_target_until_commit()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("c.gguf");
        File.WriteAllText(path, "old");
        using (var writer = GgufWriter.Create(path, new GgufMetadataBuilder(), [new("x", GgmlType.F32, [2]), new("y", GgmlType.F32, [2])]))
        {
            writer.Write("x", tensor(new[] { 1f, 2f }));
            Assert.True(File.Exists(writer.TempPath));
            var e = Assert.Throws<InvalidOperationException>(writer.Commit);
            Assert.Equal($"{path}: no data was given for 1 tensor(s): y.", e.Message);
        }
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["c.gguf"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Data_must_match_the_declaration()
    {
        using var dir = TestData.NewTempDir();
        using var writer = GgufWriter.Create(dir.File("d.gguf"), new GgufMetadataBuilder(), [new("x", GgmlType.F16, [2, 3])]);
        var e = Assert.Throws<ArgumentException>(() => writer.Write("x", zeros(2, 3)));
        Assert.StartsWith("tensor 'x' was declared F16 [2, 3] but the data is F32 [2, 3].", e.Message);
        e = Assert.Throws<ArgumentException>(() => writer.Write("z", zeros(1)));
        Assert.StartsWith("tensor 'z' was not declared.", e.Message);
        writer.Write("x", zeros(2, 3, dtype: ScalarType.Float16));
        Assert.Throws<InvalidOperationException>(() => writer.Write("x", zeros(2, 3, dtype: ScalarType.Float16)));
    }

    [Fact]
    public void Bad_declarations_are_refused()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("e.gguf");
        var e = Assert.Throws<ArgumentException>(() => GgufWriter.Create(path, new GgufMetadataBuilder().Set("general.alignment", 48u), []));
        Assert.StartsWith("general.alignment must be a u32 power of two, not u32 48.", e.Message);
        e = Assert.Throws<ArgumentException>(() => GgufWriter.Create(path, new GgufMetadataBuilder(), [new("x", GgmlType.F32, [1]), new("x", GgmlType.F32, [1])]));
        Assert.StartsWith("tensor 'x' is declared twice.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GgufMetadataBuilder().Set("k", new GgufValue(GgufValueType.UInt32, 5)));
        Assert.StartsWith("metadata 'k' is declared u32 but holds a Int32.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GgufMetadataBuilder().Set("k", new GgufValue(GgufValueType.Array, new int[1], GgufValueType.UInt32)));
        Assert.StartsWith("metadata 'k' is an array of u32, which must be held as UInt32[], not Int32[].", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
