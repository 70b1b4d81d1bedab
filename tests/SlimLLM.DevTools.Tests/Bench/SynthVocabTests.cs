using SlimLLM.DevTools.Synth;
using SlimLLM.Errors;
using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Bench;

public class SynthVocabTests
{
    [Fact]
    public void Named_shapes_default_to_their_real_vocabulary()
    {
        Assert.Equal(32000, SyntheticModel.Named("llama-7b").Vocab);
        Assert.Equal(128256, SyntheticModel.Named("llama-3-8b", 2).Vocab);
        Assert.Equal(50000, SyntheticModel.Named("llama-7b", 2, 50000).Vocab);
    }

    [Fact]
    public void Synth_vocab_sizes_embedding_and_head_and_every_shard_stays_under_the_max()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.File("synth");
        // hidden 64, vocab 4096 in f32: embedding and head are 1,048,576 bytes each, the largest tensors; 1.1 MB shards.
        var r = ToolRunner.RunDev("synth", "--shape", "custom", "--hidden", "64", "--heads", "4", "--kv-heads", "2", "--ffn", "128", "--layers", "3",
            "--vocab", "4096", "--dtype", "f32", "--max-shard-size", "1.1MB", "--tokenizer-from", TestData.TinyStoriesLlama, "--out", model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.EndsWith("hidden 64, 4/2 heads, FFN 128, 3 layers, vocab 4096, f32\n", r.Stdout);

        Assert.Equal(4096, HuggingFaceConfig.Load(Path.Combine(model, "config.json")).VocabSize);
        using var store = ShardedSafetensors.Open(Path.Combine(model, SafetensorsStore.IndexFileName));
        Assert.Equal([4096L, 64], store.Info("model.embed_tokens.weight").Shape);
        Assert.Equal([4096L, 64], store.Info("lm_head.weight").Shape);
        Assert.Equal([32L, 64], store.Info("model.layers.2.self_attn.k_proj.weight").Shape);
        // 2 x 1,048,576 + 3 layers x 147,968 + 256 bytes of final norm = 2,541,312 bytes, filled in order into shards of at most
        // 1,100,000 data bytes: embedding + norm, head, the three layers.
        Assert.Equal(2_541_312, store.TotalSize);
        Assert.Equal(3, store.ShardFiles.Count);
        foreach (var shard in store.ShardFiles)
        {
            using var file = SafetensorsFile.Open(Path.Combine(model, shard));
            Assert.InRange(file.Entries.Sum(e => e.Info.ByteLength), 1, 1_100_000);
        }
        // The embedding and head stay ~N(0, 1) and ~N(0, 1/64) when drawn in blocks.
        using var embed = store.Load("model.embed_tokens.weight");
        using var head = store.Load("lm_head.weight");
        Assert.InRange(embed.std().item<float>(), 0.99f, 1.01f);
        Assert.InRange(head.std().item<float>(), 0.99f / 8, 1.01f / 8);
    }

    [Fact]
    public void A_vocabulary_smaller_than_the_tokenizers_is_refused_naming_its_config()
    {
        using var dir = TestData.NewTempDir();
        var e = Assert.Throws<SlimLLMException>(() => SyntheticModel.Write(dir.File("m"), new SyntheticModel.Shape(64, 4, 4, 128, 1, 1000),
            TestData.TinyStoriesLlama, TorchSharp.torch.ScalarType.Float32));
        Assert.Equal($"{Path.Combine(TestData.TinyStoriesLlama, "config.json")}: vocabulary 1000 is smaller than the tokenizer's 2048, so some token ids " +
                     "would have no embedding. Pass --vocab 2048 or more, or a tokenizer with a smaller vocabulary.", e.Message);
        Assert.False(Directory.Exists(dir.File("m")));
    }
}
