using SlimLLM.Models;
using SlimLLM.Runtime;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Models;

public class GenerationTests
{
    [Fact]
    public void TinyStoriesLlama_greedy_from_BOS_tells_the_Lily_story()
    {
        using var model = SlimModel.Load(TestData.TinyStoriesLlama, "cpu");
        var bos = new[] { model.Tokenizer.BosId!.Value };
        var ids = model.GenerateTokens(bos, GenerationOptions.Greedy with { MaxNewTokens = 16 });
        var text = model.Tokenizer.Decode(ids);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", text);
    }

    [Fact]
    public void Stories260K_gguf_greedy_from_BOS_tells_the_Lily_story()
    {
        using var model = SlimModel.Load(TestData.Stories260KGguf, "cpu");
        var bos = new[] { model.Tokenizer.BosId!.Value };
        var ids = model.GenerateTokens(bos, GenerationOptions.Greedy with { MaxNewTokens = 40 });
        var text = model.Tokenizer.Decode(ids);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.", text);
    }

    [Fact]
    public void Gguf_weights_are_unpermuted_to_the_Hugging_Face_rope_layout()
    {
        // Without un-permuting q/k, the rotate-half RoPE scrambles attention and the story is lost;
        // the logits of the first step must be identical with and without the permutation round trip.
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        using var layer = source.LoadLayer(0);
        using var raw = ((GgufModelSource)source).File.Load("blk.0.attn_q.weight");
        using var again = SlimLLM.IO.Gguf.GgufLlamaLayout.PermuteQK(layer.Q, source.Config.Layers[0].NumHeads);
        Assert.True(raw.allclose(again, rtol: 0, atol: 0));
        Assert.False(raw.allclose(layer.Q, rtol: 0, atol: 0));
    }
}
