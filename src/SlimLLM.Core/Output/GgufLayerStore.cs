using SlimLLM.Export;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using static TorchSharp.torch;

namespace SlimLLM.Output;

/// <summary>
/// A second output beside another layer store: each pruned layer also goes into a GGUF file the moment it is final, so no
/// format re-reads the output. The tensors are written as the safetensors files hold them (the checkpoint's dtype), which
/// makes the file byte-identical to <c>slimllm export</c> of the finished folder. Reading layers back is the inner store's.
/// </summary>
/// <param name="open">Starts the GGUF file for the planned pruned configuration.</param>
public sealed class GgufLayerStore(IPrunedLayerStore inner, Func<ModelConfig, GgufModelWriter> open, ScalarType storedDtype) : IPrunedLayerStore
{
    private GgufModelWriter? _gguf;

    /// <summary>What was written, once <see cref="End"/> has committed the file.</summary>
    public GgufExportResult? Result { get; private set; }

    public IReadOnlyList<DecoderLayerWeights>? Layers => inner.Layers;

    public void Begin(ModelConfig planned, Tensor embedding)
    {
        _gguf = open(planned);
        using (var stored = embedding.to(storedDtype)) _gguf.Embedding(stored);
        inner.Begin(planned, embedding);
    }

    public void Add(int layer, DecoderLayerWeights stored)
    {
        Writer.Layer(layer, stored);
        inner.Add(layer, stored);
    }

    public DecoderLayerWeights Get(int layer) => inner.Get(layer);

    public void End(Tensor finalNorm, Tensor? lmHead)
    {
        using (var norm = finalNorm.to(storedDtype))
        using (var head = lmHead?.to(storedDtype))
            Writer.End(norm, head);
        Result = Writer.Commit();
        inner.End(finalNorm, lmHead);
    }

    private GgufModelWriter Writer => _gguf ?? throw new InvalidOperationException("Begin was not called.");

    public void Dispose()
    {
        _gguf?.Dispose();
        inner.Dispose();
    }
}
