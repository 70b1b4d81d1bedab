using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>A Hugging Face model folder: config.json, model.safetensors (or a sharded index) and tokenizer files.</summary>
public sealed class HuggingFaceModelSource : IModelSource
{
    private readonly ITensorStore _store;
    private readonly Lazy<ITokenizer> _tokenizer;

    public HuggingFaceModelSource(string folder)
    {
        Path = System.IO.Path.GetFullPath(folder);
        Config = HuggingFaceConfig.Load(System.IO.Path.Combine(Path, "config.json"));
        _store = SafetensorsStore.Open(Path);
        _tokenizer = new Lazy<ITokenizer>(() => TokenizerLoader.ForModel(TokenizerLoader.FromFolder(Path), Config.VocabSize, Path));
        ValidateShapes();
    }

    public string Path { get; }
    public string Format => "safetensors";
    public ModelConfig Config { get; }
    public ITokenizer Tokenizer => _tokenizer.Value;
    public ITensorStore Store => _store;

    private const string EmbedName = "model.embed_tokens.weight", HeadName = "lm_head.weight", NormName = "model.norm.weight";

    public Tensor LoadEmbedding() => _store.Load(_store.Contains(EmbedName) ? EmbedName : HeadName);
    public Tensor LoadLmHead() => _store.Load(_store.Contains(HeadName) ? HeadName : EmbedName);
    public Tensor LoadFinalNorm() => _store.Load(NormName);

    public DecoderLayerWeights LoadLayer(int index) => LoadLayer(index, t => t);

    public DecoderLayerWeights LoadLayer(int index, Device device, ScalarType dtype) => LoadLayer(index, t =>
    {
        using (t) return t.to(dtype, device);
    });

    private DecoderLayerWeights LoadLayer(int index, Func<Tensor, Tensor> convert)
    {
        var p = $"model.layers.{index}.";
        return DecoderLayerWeights.Load(s => convert(_store.Load(p + s)), s => _store.Contains(p + s) ? convert(_store.Load(p + s)) : null);
    }

    /// <summary>Checks every expected tensor exists with the shape config.json implies, before any work is done.</summary>
    private void ValidateShapes()
    {
        var c = Config;
        long d = c.HiddenSize, hd = c.HeadDim;
        if (!_store.Contains(EmbedName) && !_store.Contains(HeadName))
            Fail($"has neither {EmbedName} nor {HeadName}");
        if (_store.Contains(EmbedName)) Expect(EmbedName, c.VocabSize, d);
        if (_store.Contains(HeadName)) Expect(HeadName, c.VocabSize, d);
        Expect(NormName, d);
        for (int i = 0; i < c.NumLayers; i++)
        {
            var l = c.Layers[i];
            var p = $"model.layers.{i}.";
            long q = l.NumHeads * hd, kv = l.NumKeyValueHeads * hd, m = l.IntermediateSize;
            Expect(p + "input_layernorm.weight", d);
            Expect(p + "post_attention_layernorm.weight", d);
            Expect(p + "self_attn.q_proj.weight", q, d);
            Expect(p + "self_attn.k_proj.weight", kv, d);
            Expect(p + "self_attn.v_proj.weight", kv, d);
            Expect(p + "self_attn.o_proj.weight", d, q);
            Expect(p + "mlp.gate_proj.weight", m, d);
            Expect(p + "mlp.up_proj.weight", m, d);
            Expect(p + "mlp.down_proj.weight", d, m);
            ExpectBias(p + "self_attn.q_proj.bias", l.Biases.Q, q);
            ExpectBias(p + "self_attn.k_proj.bias", l.Biases.K, kv);
            ExpectBias(p + "self_attn.v_proj.bias", l.Biases.V, kv);
            ExpectBias(p + "self_attn.o_proj.bias", l.Biases.O, d);
            ExpectBias(p + "mlp.gate_proj.bias", l.Biases.Gate, m);
            ExpectBias(p + "mlp.up_proj.bias", l.Biases.Up, m);
            ExpectBias(p + "mlp.down_proj.bias", l.Biases.Down, d);
        }
    }

    private void ExpectBias(string name, bool expected, long size)
    {
        if (expected) Expect(name, size);
        // A bias the config does not announce is still loaded and used; only its shape is checked.
        else if (_store.Contains(name)) Expect(name, size);
    }

    private void Expect(string name, params long[] shape)
    {
        if (!_store.Contains(name))
            Fail($"has no tensor '{name}', which config.json implies");
        var info = _store.Info(name);
        if (!info.Shape.SequenceEqual(shape))
            Fail($"tensor '{name}' has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", shape)}]");
        if (info.DType is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.F64))
            Fail($"tensor '{name}' has dtype {info.DType}; weights must be float32, float16 or bfloat16");
    }

    private void Fail(string what) =>
        throw new SlimLLMException(_store.Path, $"the checkpoint {what}.", "Check that config.json and the weights belong to the same model.");

    public void Dispose()
    {
        if (_tokenizer.IsValueCreated) _tokenizer.Value.Dispose();
        _store.Dispose();
    }
}
