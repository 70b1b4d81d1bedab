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
