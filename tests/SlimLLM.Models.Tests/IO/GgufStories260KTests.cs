using System.Security.Cryptography;
using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using TorchSharp;

namespace SlimLLM.Tests.IO;

/// <summary>The real stories260K GGUF (llama2.c's 260K-parameter model); numbers were read independently with a Python struct parser.</summary>
public class GgufStories260KTests
{
    private static GgufFile Open() => GgufFile.Open(TestData.Stories260KGguf);

    [Fact]
    public void Header_has_pinned_version_counts_and_data_offset()
    {
        using var f = Open();
        Assert.Equal(3u, f.Version);
        Assert.Equal(19, f.Metadata.Count);
        Assert.Equal(48, f.Tensors.Count);
        Assert.Equal(32u, f.Alignment);
        Assert.Equal(14176, f.DataOffset);
    }

    [Fact]
    public void Metadata_holds_the_llama_hyperparameters()
    {
        using var f = Open();
        var m = f.Metadata;
        Assert.Equal("llama", m.GetString("general.architecture"));
        Assert.Equal(64u, m.GetUInt("llama.embedding_length"));
        Assert.Equal(5u, m.GetUInt("llama.block_count"));
        Assert.Equal(8u, m.GetUInt("llama.attention.head_count"));
        Assert.Equal(4u, m.GetUInt("llama.attention.head_count_kv"));
        Assert.Equal(172u, m.GetUInt("llama.feed_forward_length"));
        Assert.Equal(2048u, m.GetUInt("llama.context_length"));
        Assert.Equal(8u, m.GetUInt("llama.rope.dimension_count"));
        Assert.Equal(1e-5f, m.GetFloat("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal(GgufValueType.Float32, m["llama.attention.layer_norm_rms_epsilon"].Type);
        Assert.False(m.Contains("llama.rope.freq_base"));
        Assert.Equal(10000f, m.GetFloat("llama.rope.freq_base", 10000f));
    }

    [Fact]
    public void Metadata_holds_the_sentencepiece_vocabulary()
    {
        using var f = Open();
        var m = f.Metadata;
        Assert.Equal("llama", m.GetString("tokenizer.ggml.model"));
        var tokens = m.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(512, tokens.Length);
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], tokens[..4]);
        Assert.Equal("<0xFF>", tokens[258]);
        Assert.Equal(512, m.GetFloatArray("tokenizer.ggml.scores").Length);
        Assert.Equal([2, 3, 3, 6], m.GetIntArray("tokenizer.ggml.token_type")[..4]);
        Assert.Equal("array of 512 i32", m["tokenizer.ggml.token_type"].TypeDescription);
        Assert.Equal(0u, m.GetUInt("tokenizer.ggml.unknown_token_id"));
        Assert.Equal(1u, m.GetUInt("tokenizer.ggml.bos_token_id"));
        Assert.Equal(2u, m.GetUInt("tokenizer.ggml.eos_token_id"));
        Assert.Equal(uint.MaxValue, m.GetUInt("tokenizer.ggml.padding_token_id"));
    }

    [Fact]
    public void Tensor_names_and_row_major_shapes()
    {
        using var f = Open();
        Assert.Equal(["token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_q.weight"], f.Names.Take(4));
        Assert.Equal([512L, 64], f.Info("token_embd.weight").Shape);
        Assert.Equal([512L, 64], f.Info("output.weight").Shape);
        Assert.Equal([64L], f.Info("output_norm.weight").Shape);
        for (int layer = 0; layer < 5; layer++)
        {
            Assert.Equal([64L, 64], f.Info($"blk.{layer}.attn_q.weight").Shape);
            Assert.Equal([32L, 64], f.Info($"blk.{layer}.attn_k.weight").Shape);
            Assert.Equal([32L, 64], f.Info($"blk.{layer}.attn_v.weight").Shape);
            Assert.Equal([64L, 64], f.Info($"blk.{layer}.attn_output.weight").Shape);
            Assert.Equal([172L, 64], f.Info($"blk.{layer}.ffn_gate.weight").Shape);
            Assert.Equal([172L, 64], f.Info($"blk.{layer}.ffn_up.weight").Shape);
            Assert.Equal([64L, 172], f.Info($"blk.{layer}.ffn_down.weight").Shape);
            Assert.Equal([64L], f.Info($"blk.{layer}.attn_norm.weight").Shape);
            Assert.Equal([64L], f.Info($"blk.{layer}.ffn_norm.weight").Shape);
        }
        Assert.All(f.Names, n => Assert.Equal(TensorDType.F32, f.Info(n).DType));
        Assert.Equal(GgmlType.F32, f.Entry("blk.4.ffn_down.weight").Type);
        Assert.Equal(1126912, f.Entry("blk.4.ffn_up.weight").Offset);
    }

    [Fact]
    public void Load_copies_exact_bytes_in_row_major_order()
    {
        using var f = Open();
        using var q = f.Load("blk.0.attn_q.weight");
        Assert.Equal(torch.ScalarType.Float32, q.dtype);
        Assert.Equal([64L, 64], q.shape);
        var values = q.data<float>().ToArray();
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        Assert.Equal("42ae9485806ab6265d45a011cc0e4e8bde4ec68705d9f5dab306c00498bcb1a3", Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(-0.08547741919755936f, q[5, 7].item<float>());

        using var k = f.Load("blk.0.attn_k.weight");
        Assert.Equal(-0.20091506838798523f, k[1, 0].item<float>());
        Assert.Equal(-0.18465891480445862f, k[31, 63].item<float>());

        using var embd = f.Load("token_embd.weight");
        Assert.Equal(-0.29474878311157227f, embd[0, 0].item<float>());
        Assert.Equal(-0.12708568572998047f, embd[1, 0].item<float>());
        Assert.Equal(-0.424032598733902f, embd[511, 63].item<float>());
        Assert.Equal(-752.3677446640068, embd.to_type(torch.ScalarType.Float64).sum().item<double>(), 6);
    }

    [Fact]
    public void Unknown_tensor_name_is_a_user_error_naming_the_file()
    {
        using var f = Open();
        var e = Assert.Throws<SlimLLMException>(() => f.Load("blk.9.attn_q.weight"));
        Assert.Equal(TestData.Stories260KGguf, e.File);
        Assert.Equal("there is no tensor named 'blk.9.attn_q.weight' (the file has 48 tensors, e.g. token_embd.weight, output_norm.weight, output.weight).", e.Cause);
        Assert.False(f.Contains("blk.9.attn_q.weight"));
        Assert.True(f.Contains("blk.4.attn_q.weight"));
    }
}
