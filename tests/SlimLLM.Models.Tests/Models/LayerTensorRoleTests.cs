using SlimLLM.Models;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Models;

public class LayerTensorRoleTests
{
    [Fact]
    public void Every_role_has_its_own_name_in_both_schemes()
    {
        Assert.Equal(16, LayerTensorRole.All.Count);
        Assert.Equal(16, LayerTensorRole.All.Select(r => r.HuggingFaceName(3)).Distinct().Count());
        Assert.Equal(16, LayerTensorRole.All.Select(r => r.GgufName(3)).Distinct().Count());
        Assert.Equal("model.layers.3.self_attn.k_proj.bias", LayerTensorRole.KBias.HuggingFaceName(3));
        Assert.Equal("blk.3.attn_output.weight", LayerTensorRole.O.GgufName(3));
    }

    [Fact]
    public void Biases_are_present_as_the_layer_config_says()
    {
        var layer = new DecoderLayerConfig(8, 2, 96, new ProjectionBiases(Q: true, Down: true));
        Assert.Equal([LayerTensorRole.InputNorm, LayerTensorRole.Q, LayerTensorRole.QBias, LayerTensorRole.K, LayerTensorRole.V,
            LayerTensorRole.O, LayerTensorRole.PostAttentionNorm, LayerTensorRole.Gate, LayerTensorRole.Up, LayerTensorRole.Down,
            LayerTensorRole.DownBias], LayerTensorRole.Present(layer));
        Assert.Equal([2L * 16, 64], LayerTensorRole.K.Shape(layer, hidden: 64, headDim: 16));
        Assert.Equal([64L, 96], LayerTensorRole.Down.Shape(layer, hidden: 64, headDim: 16));
        Assert.Equal(8, LayerTensorRole.QBias.RopeHeads(layer));
        Assert.Equal(2, LayerTensorRole.K.RopeHeads(layer));
        Assert.Null(LayerTensorRole.V.RopeHeads(layer));
    }

    [Fact]
    public void The_shared_models_have_every_tensor_the_table_names_with_its_shape()
    {
        using var hf = (HuggingFaceModelSource)ModelLoader.Open(TestData.TinyStoriesLlama);
        using var gguf = (GgufModelSource)ModelLoader.Open(TestData.Stories260KGguf);
        foreach (var (c, info) in new (ModelConfig, Func<LayerTensorRole, int, long[]>)[]
                 {
                     (hf.Config, (r, i) => hf.Store.Info(r.HuggingFaceName(i)).Shape),
                     (gguf.Config, (r, i) => gguf.File.Info(r.GgufName(i)).Shape),
                 })
            for (int i = 0; i < c.NumLayers; i++)
                foreach (var role in LayerTensorRole.Present(c.Layers[i]))
                    Assert.Equal(role.Shape(c.Layers[i], c.HiddenSize, c.HeadDim), info(role, i));
        Assert.Equal(ModelTensorRole.OutputHead.Shape(hf.Config), hf.Store.Info(ModelTensorRole.OutputHead.HuggingFaceName).Shape);
        Assert.Equal(ModelTensorRole.Embedding.Shape(gguf.Config), gguf.File.Info(ModelTensorRole.Embedding.GgufName).Shape);
    }
}
