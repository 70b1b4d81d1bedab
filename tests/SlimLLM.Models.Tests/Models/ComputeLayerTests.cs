using SlimLLM.Models;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Models;

public class ComputeLayerTests
{
    [Fact]
    public void A_pruned_ffn_width_is_padded_with_zero_channels_for_compute_and_the_layer_computes_the_same()
    {
        using var ng = no_grad();
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var config = source.Config;
        using var dense = source.LoadLayer(0);
        // Keep 173 of 384 channels: a width that is not a multiple of 8.
        using var kept = arange(0, 384, 2, ScalarType.Int64).narrow(0, 0, 173);
        using var pruned = new DecoderLayerWeights
        {
            InputNorm = dense.InputNorm.alias(), Q = dense.Q.alias(), K = dense.K.alias(), V = dense.V.alias(), O = dense.O.alias(),
            PostAttentionNorm = dense.PostAttentionNorm.alias(), Gate = dense.Gate.index_select(0, kept), Up = dense.Up.index_select(0, kept),
            Down = dense.Down.index_select(1, kept), DownBias = randn(config.HiddenSize),
        };
        var layer = config.Layers[0] with { IntermediateSize = 173 };
        using var compute = pruned.ToCompute(CPU, ScalarType.Float32);
        Assert.Equal(new long[] { 176, config.HiddenSize }, compute.Gate.shape);
        Assert.Equal(new long[] { 176, config.HiddenSize }, compute.Up.shape);
        Assert.Equal(new long[] { config.HiddenSize, 176 }, compute.Down.shape);
        Assert.True(compute.Gate.narrow(0, 173, 3).abs().sum().item<float>() == 0);
        Assert.True(compute.Down.narrow(1, 0, 173).allclose(pruned.Down, 0, 0));

        using var rope = new RotaryEmbedding(config, 32, CPU, ScalarType.Float32);
        using var x = randn(2, 32, config.HiddenSize);
        using var expected = DecoderLayer.Forward(x, pruned, layer, config, rope);
        using var actual = DecoderLayer.Forward(x, compute, layer, config, rope);
        Assert.True(actual.allclose(expected, rtol: 1e-6, atol: 1e-6));

        // An aligned width is left as it is.
        using var aligned = dense.ToCompute(CPU, ScalarType.Float32);
        Assert.Equal(dense.Gate.shape, aligned.Gate.shape);
    }
}
