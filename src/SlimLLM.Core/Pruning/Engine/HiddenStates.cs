using SlimLLM.Compute;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The calibration hidden states entering each layer, computed lazily: only when a layer's statistics are not cached does the
/// engine need them, and then they are brought forward from the last computed position through the already-pruned layers
/// (sequential mode) or the dense layers (dense mode).
/// </summary>
internal sealed class HiddenStates(IReadOnlyList<Tensor> batches, Func<Tensor> embeddingTable, ComputeDevice compute, RotaryEmbedding rope,
    ModelConfig config, ForwardPassCounter passes, PhaseTimings timings) : IDisposable
{
    private List<Tensor>? _states;
    private int _position = -1;     // the layer whose input _states holds
    private readonly List<DecoderLayerConfig> _prunedConfigs = [];

    public RotaryEmbedding Rope => rope;
    public ForwardPassCounter Passes => passes;

    public List<Tensor> Embedded()
    {
        using var embedding = embeddingTable();
        return batches.Select(ids =>
        {
            using var scope = NewDisposeScope();
            return embedding.index_select(0, ids.flatten()).view(ids.shape[0], ids.shape[1], -1).to(compute.DType, compute.Device).MoveToOuterDisposeScope();
        }).ToList();
    }

    /// <summary>Records the pruned configuration of layer <paramref name="l"/> (called after every layer, in order).</summary>
    public void Pruned(int l, DecoderLayerConfig prunedConfig)
    {
        if (_prunedConfigs.Count == l) _prunedConfigs.Add(prunedConfig);
    }

    /// <summary>
    /// Inputs of layer <paramref name="l"/> (l = the layer count: the last layer's outputs); <paramref name="prunedLayers"/>
    /// holds the stored pruned layers 0..l-1 (null: the layers of <paramref name="source"/> throughout).
    /// </summary>
    public IReadOnlyList<Tensor> At(int l, IPrunedLayerStore? prunedLayers, IModelSource source, bool sequential = true)
    {
        if (_states is null || _position > l)
        {
            Release();
            _states = Embedded();
            _position = 0;
        }
        while (_position < l)
        {
            int p = _position;
            DecoderLayerWeights w;
            DecoderLayerConfig c;
            if (sequential && prunedLayers is not null && _prunedConfigs.Count > p)
            {
                using var stored = prunedLayers.Get(p);
                w = stored.ToCompute(compute.Device, compute.DType);
                c = _prunedConfigs[p];
            }
            else
            {
                w = source.LoadLayer(p, compute.Device, compute.DType);
                c = config.Layers[p];
            }
            using (w) Step(w, c);
        }
        return _states;
    }

    /// <summary>
    /// Brings the states from layer <paramref name="l"/>'s input to its output through its stored weights, when they are at
    /// <paramref name="l"/> (the usual case after computing its statistics): the next layer then needs no read-back.
    /// </summary>
    public void AdvanceThrough(int l, DecoderLayerWeights stored, DecoderLayerConfig prunedConfig)
    {
        if (_states is null || _position != l) return;
        using var w = stored.ToCompute(compute.Device, compute.DType);
        Step(w, prunedConfig);
    }

    /// <summary>Runs the states through one layer: they then hold the next layer's inputs.</summary>
    private void Step(DecoderLayerWeights w, DecoderLayerConfig c)
    {
        var next = timings.Time("calibration forward", () => _states!.Select(h =>
        {
            passes.Add();
            return DecoderLayer.Forward(h, w, c, config, rope);
        }).ToList());
        Release();
        _states = next;
        _position++;
    }

    private void Release()
    {
        if (_states is not null) foreach (var h in _states) h.Dispose();
        _states = null;
    }

    public void Dispose() => Release();
}
