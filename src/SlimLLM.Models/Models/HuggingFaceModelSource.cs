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
        var configPath = System.IO.Path.Combine(Path, "config.json");
        var json = HuggingFaceConfig.ReadJson(configPath);
        _store = SafetensorsStore.Open(Path);
        try
        {
            // With the weights at hand: the declared layer count is compared with the layers they hold before it sizes anything.
            Config = HuggingFaceConfig.Parse(json, configPath, _store);
            ValidateShapes();
            ValidateTiedEmbeddings(configPath);
        }
        catch
        {
            _store.Dispose();
            throw;
        }
        _tokenizer = new Lazy<ITokenizer>(() => TokenizerLoader.ForModel(TokenizerLoader.FromFolder(Path), Config.VocabSize, Path));
    }

    public string Path { get; }
    public string Format => "safetensors";
    public ModelConfig Config { get; }
    public ITokenizer Tokenizer => _tokenizer.Value;
    public ITensorStore Store => _store;

    private const string EmbedName = "model.embed_tokens.weight", HeadName = "lm_head.weight", NormName = "model.norm.weight";

    public Tensor LoadEmbedding() => Load(_store.Contains(EmbedName) ? EmbedName : HeadName);
    public Tensor LoadLmHead() => Load(_store.Contains(HeadName) ? HeadName : EmbedName);
    public Tensor LoadFinalNorm() => Load(NormName);

    /// <summary>A tensor of the checkpoint, refused when it holds NaN or infinite values.</summary>
    private Tensor Load(string name) => FiniteWeights.Ensure(_store.Load(name), _store.Path, name);

    public DecoderLayerWeights LoadLayer(int index) => LoadLayer(index, t => t);

    public DecoderLayerWeights LoadLayer(int index, Device device, ScalarType dtype) => LoadLayer(index, t =>
    {
        using (t) return t.to(dtype, device);
    });

    private DecoderLayerWeights LoadLayer(int index, Func<Tensor, Tensor> convert)
    {
        var p = $"model.layers.{index}.";
        return DecoderLayerWeights.Load(s => convert(Load(p + s)), s => _store.Contains(p + s) ? convert(Load(p + s)) : null);
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

    /// <summary>
    /// tie_word_embeddings must agree with the tensors: untied needs both the embedding and lm_head (otherwise one would silently
    /// stand in for the other); tied with both present needs them equal (otherwise which one is used decides the outputs).
    /// </summary>
    private void ValidateTiedEmbeddings(string configPath)
    {
        bool embed = _store.Contains(EmbedName), head = _store.Contains(HeadName);
        if (!Config.TieWordEmbeddings && !(embed && head))
            throw new SlimLLMException(configPath, $"\"tie_word_embeddings\" is false but the checkpoint has no {(embed ? HeadName : EmbedName)}; an untied model needs both {EmbedName} and {HeadName}.",
                "Set \"tie_word_embeddings\": true if the model shares its embedding with the output head, or use the complete checkpoint.");
        if (Config.TieWordEmbeddings && embed && head)
        {
            bool same;
            using (NewDisposeScope())
            {
                var e = _store.Load(EmbedName);
                same = e.eq(_store.Load(HeadName).to(e.dtype)).all().item<bool>();
            }
            if (!same)
                throw new SlimLLMException(configPath, $"\"tie_word_embeddings\" is true but the checkpoint's {HeadName} differs from its {EmbedName}, so the model is not tied.",
                    "Set \"tie_word_embeddings\": false to use both tensors, or remove the one that does not belong to the model.");
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
