using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// A model as a quantised GGUF export of it holds it: every matrix that <see cref="LlamaCppTensors"/> writes as Q8_0 or
/// Q4_0 is quantised and dequantised again (blocks run along rows, so llama.cpp's q/k row order does not change them), so
/// our forward measures what the quantisation costs. (llama.cpp also quantises the activations it multiplies them with, to
/// 8 bits; this does not.) Takes ownership of <paramref name="inner"/>.
/// </summary>
public sealed class QuantizedWeightsSource(IModelSource inner, GgufOutputType type) : IModelSource
{
    private readonly Dictionary<string, GgmlType> _types = LlamaCppTensors.Declare(inner.Config, type).ToDictionary(t => t.Name, t => t.Type, StringComparer.Ordinal);

    public string Path => inner.Path;
    public string Format => inner.Format;
    public ModelConfig Config => inner.Config;
    public ITokenizer Tokenizer => inner.Tokenizer;
    public Tensor LoadEmbedding() => RoundTrip(inner.LoadEmbedding(), ModelTensorRole.Embedding.GgufName);
    public Tensor LoadFinalNorm() => inner.LoadFinalNorm();
    public Tensor LoadLmHead() => RoundTrip(inner.LoadLmHead(), Config.TieWordEmbeddings ? ModelTensorRole.Embedding.GgufName : ModelTensorRole.OutputHead.GgufName);

    public DecoderLayerWeights LoadLayer(int index)
    {
        using var layer = inner.LoadLayer(index);
        var byRole = layer.Tensors().ToDictionary(t => t.Role, t => t.Tensor);
        return DecoderLayerWeights.Load(role => byRole.TryGetValue(role, out var t) ? RoundTrip(t.alias(), role.GgufName(index)) : null);
    }

    private Tensor RoundTrip(Tensor t, string ggufName)
    {
        var ggml = _types[ggufName];
        if (!GgufQuantizer.IsQuantized(ggml)) return t;
        using (t)
        {
            using var f32 = t.to(ScalarType.Float32).contiguous();
            var values = GgufQuantizer.Dequantize(ggml, GgufQuantizer.Quantize(ggml, f32.data<float>().ToArray()));
            return tensor(values, f32.shape);
        }
    }

    public void Dispose() => inner.Dispose();
}
