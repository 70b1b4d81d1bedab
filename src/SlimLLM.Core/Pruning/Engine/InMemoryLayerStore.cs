using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>Keeps every pruned layer in memory (the result can be evaluated or exported without writing it first).</summary>
public sealed class InMemoryLayerStore : IPrunedLayerStore
{
    private readonly List<DecoderLayerWeights> _layers = [];

    public IReadOnlyList<DecoderLayerWeights>? Layers => _layers;
    public Tensor? FinalNorm { get; private set; }
    public Tensor? LmHead { get; private set; }

    public void Begin(ModelConfig planned, Tensor embedding) { }

    public void Add(int layer, DecoderLayerWeights stored)
    {
        if (layer != _layers.Count) throw new InvalidOperationException($"layer {layer} added after {_layers.Count} layers.");
        _layers.Add(stored);
    }

    public DecoderLayerWeights Get(int layer) => _layers[layer].Alias();

    public void End(Tensor finalNorm, Tensor? lmHead)
    {
        FinalNorm = finalNorm;
        LmHead = lmHead;
    }

    /// <summary>Hands the layers over (to a <see cref="PruneResult"/>): this store no longer disposes them.</summary>
    public List<DecoderLayerWeights> Release()
    {
        var layers = _layers.ToList();
        _layers.Clear();
        FinalNorm = null;
        LmHead = null;
        return layers;
    }

    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
        _layers.Clear();
        FinalNorm?.Dispose();
        LmHead?.Dispose();
    }
}
