using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>
/// The shared TinyStories model pruned by hand with <see cref="LayerSurgery"/>, with the per-dimension scale and added bias
/// on o_proj and down_proj that SlimLLM's recovery produces, written as a Hugging Face folder (config.json with
/// slimllm_layers, model.safetensors, the original tokenizer files) as the pruning engine writes it.
/// </summary>
internal static class PrunedTinyStories
{
    /// <summary>Per-layer sizes: layer 0 keeps KV groups {0,2,3} (6 query heads) and 300 FFN channels; layer 1 keeps {1,2} (4 heads) and 250.</summary>
    public static readonly int[][] PerLayerGroups = [[0, 2, 3], [1, 2]];
    public static readonly int[] PerLayerChannels = [300, 250];

    public static void Write(string folder, int[][] keptGroups, int[] keptChannels)
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var c = source.Config;
        var layers = new List<DecoderLayerWeights>();
        var configs = new List<DecoderLayerConfig>();
        for (int i = 0; i < c.NumLayers; i++)
        {
            using var scope = NewDisposeScope();
            using var dense = source.LoadLayer(i);
            var positions = arange(c.HiddenSize, dtype: ScalarType.Float32);
            var oScale = 1 + 0.1 * sin(positions * (0.7 + i));
            var oBias = 0.05 * cos(positions * (0.3 + i));
            var downScale = 1 - 0.08 * cos(positions * (1.1 + i));
            var downBias = 0.04 * sin(positions * (0.5 + i));
            var (attention, attentionConfig) = LayerSurgery.PruneAttention(dense, c.Layers[i], c.HeadDim, keptGroups[i], new ScaleBias(oScale, oBias));
            using (attention)
            {
                var channels = Enumerable.Range(0, c.Layers[i].IntermediateSize).ToArray();
                new Random(11 + i).Shuffle(channels); // a fixed pseudo-random choice
                var kept = channels.Take(keptChannels[i]).Order().ToArray();
                var (pruned, config) = LayerSurgery.PruneMlp(attention, attentionConfig, kept, new ScaleBias(downScale, downBias));
                foreach (var (_, t) in pruned.Named()) t.MoveToOuterDisposeScope();
                layers.Add(pruned);
                configs.Add(config);
            }
        }
        using var embedding = source.LoadEmbedding();
        using var norm = source.LoadFinalNorm();
        HuggingFaceFolder.Write(folder, c with { Layers = configs }, embedding, norm, null, layers);
        HuggingFaceFolder.CopyTokenizerFiles(TestData.TinyStoriesLlama, folder);
        foreach (var l in layers) l.Dispose();
    }
}
