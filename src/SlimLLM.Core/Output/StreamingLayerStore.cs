using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using static TorchSharp.torch;

namespace SlimLLM.Output;

/// <summary>
/// Writes the pruned model's weights into <paramref name="folder"/> as they are produced: the layout of every file is planned
/// from the pruned configuration before the first layer, each layer is written at its offsets and dropped from memory, and
/// a layer needed again (to bring calibration states forward after cache hits) is read back from the file being written.
/// Nothing appears under the final file names until <see cref="End"/> commits them all.
/// </summary>
public sealed class StreamingLayerStore(string folder, ScalarType storedDtype, long maxShardBytes) : IPrunedLayerStore
{
    private SafetensorsShardedWriter? _writer;
    private ModelConfig? _planned;
    private int _added;

    public IReadOnlyList<DecoderLayerWeights>? Layers => null;

    public void Begin(ModelConfig planned, Tensor embedding)
    {
        _planned = planned;
        var dt = TensorDTypes.FromScalarType(storedDtype);
        var infos = new List<TensorInfo>
        {
            new("model.embed_tokens.weight", dt, [planned.VocabSize, planned.HiddenSize]),
            new("model.norm.weight", dt, [planned.HiddenSize]),
        };
        if (!planned.TieWordEmbeddings) infos.Add(new("lm_head.weight", dt, [planned.VocabSize, planned.HiddenSize]));
        for (int l = 0; l < planned.NumLayers; l++)
            infos.AddRange(LayerTensorLayout.Layer(l, planned.Layers[l], planned.HiddenSize, planned.HeadDim, dt));
        _writer = SafetensorsShardedWriter.Create(folder, infos, null, maxShardBytes);
        WriteAs("model.embed_tokens.weight", embedding);
    }

    public void Add(int layer, DecoderLayerWeights stored)
    {
        using (stored)
        {
            if (_writer is null || layer != _added) throw new InvalidOperationException($"layer {layer} added out of order (after {_added}).");
            foreach (var (suffix, t) in stored.Named()) _writer.Write($"model.layers.{layer}.{suffix}", t);
            _added++;
        }
    }

    public DecoderLayerWeights Get(int layer)
    {
        if (_writer is null || layer >= _added) throw new InvalidOperationException($"layer {layer} has not been written.");
        var names = LayerTensorLayout.Layer(layer, _planned!.Layers[layer], _planned.HiddenSize, _planned.HeadDim, TensorDTypes.FromScalarType(storedDtype))
            .Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var p = $"model.layers.{layer}.";
        return DecoderLayerWeights.Load(s => _writer.ReadBack(p + s), s => names.Contains(p + s) ? _writer.ReadBack(p + s) : null);
    }

    public void End(Tensor finalNorm, Tensor? lmHead)
    {
        using (finalNorm)
        using (lmHead)
        {
            var writer = _writer ?? throw new InvalidOperationException("Begin was not called.");
            WriteAs("model.norm.weight", finalNorm);
            if (lmHead is not null) WriteAs("lm_head.weight", lmHead);
            writer.Commit();
        }
    }

    private void WriteAs(string name, Tensor t)
    {
        if (t.dtype == storedDtype)
        {
            _writer!.Write(name, t);
            return;
        }
        using var converted = t.to(storedDtype);
        _writer!.Write(name, converted);
    }

    public void Dispose() => _writer?.Dispose();
}
