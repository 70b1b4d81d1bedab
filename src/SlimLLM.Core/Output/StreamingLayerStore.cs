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
            new(ModelTensorRole.Embedding.HuggingFaceName, dt, ModelTensorRole.Embedding.Shape(planned)),
            new(ModelTensorRole.FinalNorm.HuggingFaceName, dt, ModelTensorRole.FinalNorm.Shape(planned)),
        };
        if (!planned.TieWordEmbeddings) infos.Add(new(ModelTensorRole.OutputHead.HuggingFaceName, dt, ModelTensorRole.OutputHead.Shape(planned)));
        for (int l = 0; l < planned.NumLayers; l++)
            infos.AddRange(LayerTensorRole.Present(planned.Layers[l])
                .Select(r => new TensorInfo(r.HuggingFaceName(l), dt, r.Shape(planned.Layers[l], planned.HiddenSize, planned.HeadDim))));
        _writer = SafetensorsShardedWriter.Create(folder, infos, null, maxShardBytes);
        WriteAs(ModelTensorRole.Embedding.HuggingFaceName, embedding);
    }

    public void Add(int layer, DecoderLayerWeights stored)
    {
        using (stored)
        {
            if (_writer is null || layer != _added) throw new InvalidOperationException($"layer {layer} added out of order (after {_added}).");
            foreach (var (role, t) in stored.Tensors()) _writer.Write(role.HuggingFaceName(layer), t);
            _added++;
        }
    }

    public DecoderLayerWeights Get(int layer)
    {
        if (_writer is null || layer >= _added) throw new InvalidOperationException($"layer {layer} has not been written.");
        var biases = _planned!.Layers[layer].Biases;
        return DecoderLayerWeights.Load(role => role.IsPresent(biases) ? _writer.ReadBack(role.HuggingFaceName(layer)) : null);
    }

    public void End(Tensor finalNorm, Tensor? lmHead)
    {
        using (finalNorm)
        using (lmHead)
        {
            var writer = _writer ?? throw new InvalidOperationException("Begin was not called.");
            WriteAs(ModelTensorRole.FinalNorm.HuggingFaceName, finalNorm);
            if (lmHead is not null) WriteAs(ModelTensorRole.OutputHead.HuggingFaceName, lmHead);
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
