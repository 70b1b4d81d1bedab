using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Tuning;

/// <summary>The LoRA adapters of one decoder layer, by the weight role of the projection each sits on.</summary>
public sealed class LayerAdapters(IReadOnlyDictionary<LayerTensorRole, LoraAdapter> adapters) : IProjectionAdapters, IDisposable
{
    public IReadOnlyDictionary<LayerTensorRole, LoraAdapter> Adapters { get; } = adapters;

    public Tensor? Delta(LayerTensorRole role, Tensor input) => Adapters.TryGetValue(role, out var a) ? a.Delta(input) : null;

    /// <summary>A copy of <paramref name="layer"/> with every adapter merged into its projection (other tensors aliased).</summary>
    public DecoderLayerWeights MergeInto(DecoderLayerWeights layer) =>
        DecoderLayerWeights.Load(role => role.Of(layer) is not { } t ? null : Adapters.TryGetValue(role, out var a) ? a.MergeInto(t) : t.alias());

    public void Dispose()
    {
        foreach (var a in Adapters.Values) a.Dispose();
    }
}
