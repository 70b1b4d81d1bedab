using SlimLLM.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Runtime.Tests;

public sealed class KvCacheTests(DenseModelFixture dense, PrunedModelFixture pruned) : IClassFixture<DenseModelFixture>, IClassFixture<PrunedModelFixture>
{
    [Fact]
    public void Greedy_WithKvCache_EqualsFullRecompute_OnDenseModel()
    {
        var prompt = dense.Model.Tokenizer.Encode("Once upon a time, there was a big dog", addBos: true);
        var cached = dense.Model.GenerateTokens(prompt, new GenerationOptions { MaxNewTokens = 40 });
        var reference = FullRecompute.Greedy(dense.Model, prompt, 40);
        Assert.Equal(40, cached.Length);
        Assert.Equal(reference, cached);
    }

    [Fact]
    public void Greedy_WithKvCache_EqualsFullRecompute_OnPerLayerPrunedModel()
    {
        // Pruning 30% leaves the two layers with different sizes, each no larger than dense (8 heads, 4 KV heads, FFN 384).
        Assert.Equal(2, pruned.Layers.Length);
        Assert.NotEqual(pruned.Layers[0], pruned.Layers[1]);
        Assert.All(pruned.Layers, l => Assert.True(l.Heads <= 8 && l.KvHeads <= 4 && l.Intermediate <= 384, l.ToString()));
        Assert.Contains(pruned.Layers, l => l.Heads < 8 || l.Intermediate < 384);
        using var model = SlimModel.Load(pruned.Folder, "cpu");
        Assert.Equal(pruned.Layers, model.Config.Layers.Select(l => (l.NumHeads, l.NumKeyValueHeads, l.IntermediateSize)));
        var prompt = model.Tokenizer.Encode("One day, Tom went to the park", addBos: true);
        var cached = model.GenerateTokens(prompt, new GenerationOptions { MaxNewTokens = 40, StopAtEos = true });
        var reference = FullRecompute.Greedy(model, prompt, 40);
        Assert.NotEmpty(cached);
        Assert.Equal(reference, cached);
    }

    [Fact]
    public void CachedLogits_MatchFullForward_ForPrefillChunksAndSingleTokens()
    {
        var ids = dense.Model.Tokenizer.Encode("Once upon a time, there was a little girl named Lily. She", addBos: true);
        Assert.True(ids.Length > 8);
        using var decoder = new CachedDecoder(dense.Model.Model);
        using var _ = no_grad();
        // Prefill 5 tokens, then a chunk of 3 after the cached prefix (masked path), then one token at a time.
        var feeds = new List<int[]> { ids[..5], ids[5..8] };
        feeds.AddRange(ids[8..].Select(i => new[] { i }));
        int seen = 0;
        double worst = 0;
        foreach (var feed in feeds)
        {
            using var scope = NewDisposeScope();
            var cached = decoder.NextLogits(feed);
            seen += feed.Length;
            var full = FullRecompute.LastLogits(dense.Model, ids[..seen]);
            worst = Math.Max(worst, (cached - full).abs().max().item<float>());
        }
        Assert.Equal(ids.Length, decoder.Position);
        Assert.InRange(worst, 0, 1e-4);
    }
}
