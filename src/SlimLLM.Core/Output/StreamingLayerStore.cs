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
        var c = _planned!.Layers[layer];
        Tensor R(string suffix) => _writer.ReadBack($"model.layers.{layer}.{suffix}");
        Tensor? B(bool present, string suffix) => present ? R(suffix) : null;
        return new DecoderLayerWeights
        {
            InputNorm = R("input_layernorm.weight"),
            Q = R("self_attn.q_proj.weight"), QBias = B(c.Biases.Q, "self_attn.q_proj.bias"),
            K = R("self_attn.k_proj.weight"), KBias = B(c.Biases.K, "self_attn.k_proj.bias"),
            V = R("self_attn.v_proj.weight"), VBias = B(c.Biases.V, "self_attn.v_proj.bias"),
            O = R("self_attn.o_proj.weight"), OBias = B(c.Biases.O, "self_attn.o_proj.bias"),
            PostAttentionNorm = R("post_attention_layernorm.weight"),
            Gate = R("mlp.gate_proj.weight"), GateBias = B(c.Biases.Gate, "mlp.gate_proj.bias"),
            Up = R("mlp.up_proj.weight"), UpBias = B(c.Biases.Up, "mlp.up_proj.bias"),
            Down = R("mlp.down_proj.weight"), DownBias = B(c.Biases.Down, "mlp.down_proj.bias"),
        };
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
