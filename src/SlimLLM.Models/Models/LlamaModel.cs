using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Models;

/// <summary>
/// A whole LLaMA-family model resident on one device, for evaluation and generation.
/// (Pruning streams layers instead; see the pruning engine.)
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly Tensor _embedding, _finalNorm, _lmHead;
    private readonly IReadOnlyList<DecoderLayerWeights> _layers;
    private readonly RotaryEmbedding _rope;

    public LlamaModel(ModelConfig config, Tensor embedding, IReadOnlyList<DecoderLayerWeights> layers, Tensor finalNorm, Tensor lmHead,
                      Device device, ScalarType dtype, int maxPositions)
    {
        Config = config;
        Device = device;
        DType = dtype;
        _embedding = embedding;
        _layers = layers;
        _finalNorm = finalNorm;
        _lmHead = lmHead;
        _rope = new RotaryEmbedding(config, maxPositions, device, dtype);
    }

    public ModelConfig Config { get; }
    public Device Device { get; }
    public ScalarType DType { get; }
    public int MaxPositions => _rope.MaxPositions;

    /// <summary>
    /// Loads every weight of <paramref name="source"/> onto <paramref name="device"/> in <paramref name="dtype"/>; with
    /// <paramref name="asStored"/> the FFN keeps its stored width (<see cref="DecoderLayerWeights.ToCompute"/> pads it for speed,
    /// which adapters on its projections would see).
    /// </summary>
    public static LlamaModel Load(IModelSource source, Device device, ScalarType dtype, int? maxPositions = null, bool asStored = false)
    {
        var config = source.Config;
        Tensor Move(Tensor t) { using (t) return t.to(dtype, device); }
        var embedding = Move(source.LoadEmbedding());
        var lmHead = config.TieWordEmbeddings ? embedding.alias() : Move(source.LoadLmHead());
        var norm = Move(source.LoadFinalNorm());
        var layers = new List<DecoderLayerWeights>(config.NumLayers);
        for (int i = 0; i < config.NumLayers; i++)
        {
            using var raw = source.LoadLayer(i);
            layers.Add(asStored ? raw.To(device, dtype) : raw.ToCompute(device, dtype));
        }
        return new LlamaModel(config, embedding, layers, norm, lmHead, device, dtype, maxPositions ?? Math.Max(config.MaxPositionEmbeddings, 128));
    }

    public Tensor Embed(Tensor ids) => _embedding.index_select(0, ids.to(Device).flatten()).view([.. ids.shape, _embedding.shape[1]]);

    /// <summary>Logits [B, T, vocab] in float32 for token ids [B, T], with <paramref name="adapters"/> (one per layer) on the projections.</summary>
    public Tensor Logits(Tensor ids, IReadOnlyList<IProjectionAdapters>? adapters = null)
    {
        using var scope = NewDisposeScope();
        return Head(Hidden(ids, adapters: adapters)).MoveToOuterDisposeScope();
    }

    public int LayerCount => _layers.Count;

    /// <summary>Decoder layer <paramref name="layer"/> on hidden states <paramref name="x"/> [B, T, d] at positions 0..T-1.</summary>
    public Tensor Layer(int layer, Tensor x, IProjectionAdapters? adapters = null) =>
        DecoderLayer.Forward(x, _layers[layer], Config.Layers[layer], Config, _rope, adapters: adapters);

    /// <summary>
    /// The last layer's hidden states [B, T, d] (before the final norm) for token ids [B, T]. With <paramref name="caches"/>
    /// (one per layer) the ids continue the positions the caches hold, and their keys and values are appended.
    /// </summary>
    public Tensor Hidden(Tensor ids, IReadOnlyList<KvCache>? caches = null, IReadOnlyList<IProjectionAdapters>? adapters = null)
    {
        using var scope = NewDisposeScope();
        var x = Embed(ids);
        for (int i = 0; i < _layers.Count; i++)
        {
            using var inner = NewDisposeScope();
            x = DecoderLayer.Forward(x, _layers[i], Config.Layers[i], Config, _rope, cache: caches?[i], adapters: adapters?[i]).MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }

    public Tensor Head(Tensor hidden) => Head(hidden, _finalNorm, _lmHead, Config);

    /// <summary>Logits in float32 of the last layer's hidden states: the final RMS norm, then the output head.</summary>
    public static Tensor Head(Tensor hidden, Tensor finalNorm, Tensor lmHead, ModelConfig config)
    {
        using var scope = NewDisposeScope();
        var h = DecoderLayer.RmsNorm(hidden, finalNorm, config.RmsNormEps);
        return F.linear(h, lmHead).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _embedding.Dispose();
        _finalNorm.Dispose();
        _lmHead.Dispose();
        foreach (var l in _layers) l.Dispose();
        _rope.Dispose();
    }
}
