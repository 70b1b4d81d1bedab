using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.IO;

public class GgufMetadataTests
{
    private static GgufFile WriteAndOpen(TempDir dir, GgufTestWriter writer)
    {
        var path = dir.File("m.gguf");
        writer.WriteTo(path);
        return GgufFile.Open(path);
    }

    private static GgufTestWriter EveryType() => new GgufTestWriter()
        .Add("u8", GgufValueType.UInt8, (byte)200)
        .Add("i8", GgufValueType.Int8, (sbyte)-100)
        .Add("u16", GgufValueType.UInt16, (ushort)60000)
        .Add("i16", GgufValueType.Int16, (short)-30000)
        .Add("u32", GgufValueType.UInt32, 4000000000u)
        .Add("i32", GgufValueType.Int32, -2000000000)
        .Add("u64", GgufValueType.UInt64, 18000000000000000000ul)
        .Add("i64", GgufValueType.Int64, -9000000000000000000L)
        .Add("f32", GgufValueType.Float32, 0.1f)
        .Add("f64", GgufValueType.Float64, 0.1)
        .Add("yes", GgufValueType.Bool, true)
        .Add("no", GgufValueType.Bool, false)
        .Add("name", GgufValueType.String, "Zürich ✓")
        .Add("empty", GgufValueType.String, "")
        .AddArray("tokens", GgufValueType.String, new[] { "<s>", "▁the", "" })
        .AddArray("scores", GgufValueType.Float32, new[] { 0f, -1.5f, 3.25f })
        .AddArray("scores64", GgufValueType.Float64, new[] { 0.5, -2.0 })
        .AddArray("types", GgufValueType.Int32, new[] { 1, 6, 3 })
        .AddArray("small", GgufValueType.UInt8, new byte[] { 1, 255 })
        .AddArray("big", GgufValueType.UInt64, new[] { 5ul, 1ul << 40 })
        .AddArray("flags", GgufValueType.Bool, new[] { true, false, true })
        .AddArray("none", GgufValueType.Int16, Array.Empty<short>())
        .AddArray("nested", GgufValueType.Array, new object[] { (GgufValueType.Int32, (Array)new[] { 7, 8 }), (GgufValueType.String, (Array)new[] { "x" }) });

    [Fact]
    public void Every_value_type_is_read_with_its_type_and_value()
    {
        using var dir = TestData.NewTempDir();
        using var f = WriteAndOpen(dir, EveryType());
        var m = f.Metadata;
        Assert.Equal(23, m.Count);
        Assert.Equal("u8", m.Keys[0]);
        Assert.Equal((byte)200, m["u8"].Value);
        Assert.Equal((sbyte)-100, m["i8"].Value);
        Assert.Equal((ushort)60000, m["u16"].Value);
        Assert.Equal((short)-30000, m["i16"].Value);
        Assert.Equal(4000000000u, m["u32"].Value);
        Assert.Equal(-2000000000, m["i32"].Value);
        Assert.Equal(18000000000000000000ul, m["u64"].Value);
        Assert.Equal(-9000000000000000000L, m["i64"].Value);
        Assert.Equal(0.1f, m["f32"].Value);
        Assert.Equal(0.1, m["f64"].Value);
        Assert.True(m.GetBool("yes"));
        Assert.False(m.GetBool("no"));
        Assert.Equal("Zürich ✓", m.GetString("name"));
        Assert.Equal("", m.GetString("empty"));
        Assert.Equal(["<s>", "▁the", ""], m.GetStringArray("tokens"));
        Assert.Equal([0f, -1.5f, 3.25f], m.GetFloatArray("scores"));
        Assert.Equal([0.5f, -2f], m.GetFloatArray("scores64"));
        Assert.Equal([1, 6, 3], m.GetIntArray("types"));
        Assert.Equal([1, 255], m.GetIntArray("small"));
        Assert.Equal(new[] { true, false, true }, (bool[])m["flags"].Value);
        Assert.Empty(m.GetIntArray("none"));
        var nested = (GgufValue[])m.GetArray("nested").Value;
        Assert.Equal(GgufValueType.Array, m["nested"].ElementType);
        Assert.Equal(new[] { 7, 8 }, (int[])nested[0].Value);
        Assert.Equal(new[] { "x" }, (string[])nested[1].Value);
        Assert.Equal("array of 2 array", m["nested"].TypeDescription);
    }

    [Fact]
    public void Integer_accessors_accept_any_encoding_that_fits()
    {
        using var dir = TestData.NewTempDir();
        using var f = WriteAndOpen(dir, EveryType());
        var m = f.Metadata;
        Assert.Equal(200u, m.GetUInt("u8"));
        Assert.Equal(60000u, m.GetUInt("u16"));
        Assert.Equal(4000000000u, m.GetUInt("u32"));
        Assert.Equal(-100, m.GetInt("i8"));
        Assert.Equal(-30000, m.GetInt("i16"));
        Assert.Equal(4000000000L, m.GetLong("u32"));
        Assert.Equal(18000000000000000000ul, m.GetULong("u64"));
        Assert.Equal(0.1, m.GetDouble("f64"));
        Assert.Equal(0.1f, m.GetFloat("f64"));
        Assert.Equal(7u, m.GetUInt("missing", 7u));
        Assert.Equal("d", m.GetString("missing", "d"));
    }

    [Fact]
    public void Wrong_type_missing_key_and_out_of_range_name_the_key()
    {
        using var dir = TestData.NewTempDir();
        using var f = WriteAndOpen(dir, EveryType());
        var m = f.Metadata;
        var wrong = Assert.Throws<SlimLLMException>(() => m.GetString("u32"));
        Assert.Equal("GGUF metadata key 'u32' is of type u32, expected a string.", wrong.Cause);
        Assert.Equal(f.Path, wrong.File);
        Assert.Equal("GGUF metadata key 'tokens' is of type array of 3 string, expected an unsigned 32-bit integer.",
            Assert.Throws<SlimLLMException>(() => m.GetUInt("tokens")).Cause);
        Assert.Equal("GGUF metadata key 'scores' is of type array of 3 f32, expected an array of strings.",
            Assert.Throws<SlimLLMException>(() => m.GetStringArray("scores")).Cause);
        Assert.Equal("GGUF metadata key 'llama.block_count' is missing.",
            Assert.Throws<SlimLLMException>(() => m.GetUInt("llama.block_count")).Cause);
        Assert.Equal("GGUF metadata key 'i32' is -2000000000, which is out of range for an unsigned 32-bit integer.",
            Assert.Throws<SlimLLMException>(() => m.GetUInt("i32")).Cause);
        Assert.Equal("GGUF metadata key 'big' holds 1099511627776 at index 1, which does not fit in a 32-bit integer.",
            Assert.Throws<SlimLLMException>(() => m.GetIntArray("big")).Cause);
        Assert.Equal("GGUF metadata key 'name' is of type string, expected a float.",
            Assert.Throws<SlimLLMException>(() => m.GetFloat("name")).Cause);
    }
}
