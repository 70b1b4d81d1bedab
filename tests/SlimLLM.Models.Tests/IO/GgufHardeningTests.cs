using System.Text.Json.Nodes;
using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.IO;

/// <summary>
/// Issue 13, findings 4-6: overlapping GGUF tensor data, absurd counts in a real GGUF header and tokenizer ids beyond the
/// embedding table all end in one <see cref="SlimLLMException"/> before anything is allocated or computed.
/// </summary>
public class GgufHardeningTests
{
    private static SlimLLMException Fails(TempDir dir, byte[] bytes, Action<string> open)
    {
        var path = dir.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SlimLLMException>(() => open(path));
        Assert.Equal(path, e.File);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static SlimLLMException OpenFails(TempDir dir, byte[] bytes) => Fails(dir, bytes, p => GgufFile.Open(p).Dispose());
    private static SlimLLMException ModelFails(TempDir dir, byte[] bytes) => Fails(dir, bytes, p => ModelLoader.Open(p).Dispose());

    [Fact]
    public void Overlapping_tensor_data_is_refused_as_safetensors_does()
    {
        using var dir = TestData.NewTempDir();
        var bytes = new GgufTestWriter()
            .Add("general.architecture", GgufValueType.String, "llama")
            .AddF32("a", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f])
            .AddF32("b", [3], [7f, 8f, 9f])
            .AtOffset("b", 0)
            .ToBytes();
        Assert.Equal("corrupt GGUF header: tensors 'a' [0, 24] and 'b' [0, 12] overlap (data offsets).", OpenFails(dir, bytes).Cause);
    }

    [Fact]
    public void Real_file_with_a_tensor_moved_onto_another_is_refused()
    {
        using var dir = TestData.NewTempDir();
        var bytes = File.ReadAllBytes(TestData.Stories260KGguf);
        var q = GgufPatch.TensorOffsetAt(bytes, "blk.0.attn_q.weight");
        var k = GgufPatch.TensorOffsetAt(bytes, "blk.0.attn_k.weight");
        GgufPatch.WriteU64(bytes, k, GgufPatch.ReadU64(bytes, q) + 32); // inside attn_q (64 x 64 f32), still aligned
        var e = OpenFails(dir, bytes);
        Assert.Matches(@"^corrupt GGUF header: tensors 'blk\.0\.attn_q\.weight' \[\d+, \d+\] and 'blk\.0\.attn_k\.weight' \[\d+, \d+\] overlap \(data offsets\)\.$", e.Cause);
    }

    [Theory]
    [InlineData("tensor_count", 1L << 40, "corrupt GGUF header: it declares 19 metadata entries and 1099511627776 tensors, more than its 1185376 bytes can hold.")]
    [InlineData("kv_count", long.MaxValue, "corrupt GGUF header: it declares 9223372036854775807 metadata entries and 48 tensors, more than its 1185376 bytes can hold.")]
    [InlineData("key_length", 1L << 60, "the file ends at byte 1185376 but the key of metadata entry 0 (a string of 1152921504606846976 bytes) needs 1152921504606846984 bytes from byte 24: the file is truncated or corrupt.")]
    [InlineData("token_count", 1L << 59, "the file ends at byte 1185376 but metadata array 'tokenizer.ggml.tokens' (576460752303423488 x string) needs 4611686018427387904 bytes from byte")]
    public void Absurd_counts_in_the_real_header_fail_in_one_line_before_allocating(string field, long value, string cause)
    {
        using var dir = TestData.NewTempDir();
        var bytes = File.ReadAllBytes(TestData.Stories260KGguf);
        int at = field switch
        {
            "tensor_count" => GgufPatch.TensorCountAt,
            "kv_count" => GgufPatch.MetadataCountAt,
            "key_length" => GgufPatch.FirstKeyLengthAt,
            _ => GgufPatch.ValueAt(bytes, "tokenizer.ggml.tokens") + 4, // after the element type
        };
        GgufPatch.WriteU64(bytes, at, (ulong)value);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var e = OpenFails(dir, bytes);
        Assert.StartsWith(cause, e.Cause);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20, "the failure allocated more than 64 MB");
    }

    [Fact]
    public void Block_count_of_2_pow_31_minus_1_is_an_error_not_an_out_of_memory_abort()
    {
        using var dir = TestData.NewTempDir();
        var bytes = File.ReadAllBytes(TestData.Stories260KGguf);
        GgufPatch.WriteU32(bytes, GgufPatch.ValueAt(bytes, "llama.block_count"), int.MaxValue);
        Assert.StartsWith("\"llama.block_count\" is 2147483647;", ModelFails(dir, bytes).Cause);
        GgufPatch.WriteU32(bytes, GgufPatch.ValueAt(bytes, "llama.block_count"), 0);
        Assert.StartsWith("\"llama.block_count\" is 0;", ModelFails(dir, bytes).Cause);
    }

    [Fact]
    public void Tokenizer_ids_beyond_the_embedding_table_are_an_error_when_the_tokenizer_is_loaded()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.CopyOfTinyStoriesLlama();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "tokenizer.json")))!;
        json["model"]!["vocab"]!["▁a"] = 5085; // was 85; the embedding table has 2,048 rows
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), json.ToJsonString());

        using var source = ModelLoader.Open(model);
        var e = Assert.Throws<SlimLLMException>(() => source.Tokenizer.Encode("Once upon a time", addBos: true));
        Assert.Equal(Path.Combine(model, "tokenizer.json"), e.File);
        Assert.Equal("the tokenizer has token ids up to 5085, but the model's embedding table has only 2048 rows (vocab_size): those tokens have no embedding.", e.Cause);
    }
}
