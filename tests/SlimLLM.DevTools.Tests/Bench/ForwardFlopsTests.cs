using SlimLLM.Models;
using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

public class ForwardFlopsTests
{
    [Fact]
    public void Llama_7b_layer_at_32x128_tokens()
    {
        var layer = new DecoderLayerConfig(32, 32, 11008, ProjectionBiases.None);
        // q, k, v, o: 4 x 4096^2; gate, up, down: 3 x 4096 x 11008.
        Assert.Equal(202_375_168, ForwardFlops.ProjectionParameters(layer, 4096, 128));
        // 2 x 202,375,168 x 4096 tokens = 1,657,857,376,256 plus attention 4 x 4096 x 128 x 4096 = 8,589,934,592.
        Assert.Equal(1_666_447_310_848, ForwardFlops.Layer(layer, 4096, 128, 32, 128));
        Assert.Equal(3 * 1_666_447_310_848L, ForwardFlops.Layers(BenchFixtures.Llama7B(3), [0, 1, 2], 32, 128));
    }

    [Fact]
    public void Grouped_kv_heads_count_only_their_own_k_and_v()
    {
        // LLaMA-3-8B: 8 KV heads of 128, FFN 14336.
        var layer = new DecoderLayerConfig(32, 8, 14336, ProjectionBiases.None);
        Assert.Equal(218_103_808, ForwardFlops.ProjectionParameters(layer, 4096, 128));
        Assert.Equal(1_795_296_329_728, ForwardFlops.Layer(layer, 4096, 128, 32, 128));
    }
}
