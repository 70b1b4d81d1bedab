using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Where the engine puts each pruned layer (in the checkpoint's dtype) the moment it is final, and where it gets it back when
/// calibration states must be brought forward through it. In memory for small models and in-process evaluation; streamed
/// into the output files for large ones (<see cref="Output.StreamingLayerStore"/>), so that only one layer is resident.
/// </summary>
public interface IPrunedLayerStore : IDisposable
{
    /// <summary>Called once, before any layer: the planned pruned configuration and the (unchanged) embedding table.</summary>
    void Begin(ModelConfig planned, Tensor embedding);
    /// <summary>Takes ownership of layer <paramref name="layer"/>'s stored weights (layers arrive in order).</summary>
    void Add(int layer, DecoderLayerWeights stored);
    /// <summary>Layer <paramref name="layer"/>'s stored weights; the caller disposes what it gets.</summary>
    DecoderLayerWeights Get(int layer);
    /// <summary>Called once after the last layer; takes ownership of the tensors.</summary>
    void End(Tensor finalNorm, Tensor? lmHead);
    /// <summary>The layers, when they are held in memory; null when they were streamed to files.</summary>
    IReadOnlyList<DecoderLayerWeights>? Layers { get; }
}

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
