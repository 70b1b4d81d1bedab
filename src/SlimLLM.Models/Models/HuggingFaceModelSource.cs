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

    private static readonly string EmbedName = ModelTensorRole.Embedding.HuggingFaceName, HeadName = ModelTensorRole.OutputHead.HuggingFaceName,
        NormName = ModelTensorRole.FinalNorm.HuggingFaceName;

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

    private DecoderLayerWeights LoadLayer(int index, Func<Tensor, Tensor> convert) => DecoderLayerWeights.Load(role =>
    {
        var name = role.HuggingFaceName(index);
        return role.IsBias && !_store.Contains(name) ? null : convert(Load(name));
    });

    /// <summary>Checks every expected tensor exists with the shape config.json implies, before any work is done.</summary>
    private void ValidateShapes()
    {
        var c = Config;
        if (!_store.Contains(EmbedName) && !_store.Contains(HeadName))
            Fail($"has neither {EmbedName} nor {HeadName}");
        if (_store.Contains(EmbedName)) Expect(EmbedName, ModelTensorRole.Embedding.Shape(c));
        if (_store.Contains(HeadName)) Expect(HeadName, ModelTensorRole.OutputHead.Shape(c));
        Expect(NormName, ModelTensorRole.FinalNorm.Shape(c));
        for (int i = 0; i < c.NumLayers; i++)
            foreach (var role in LayerTensorRole.All)
            {
                var name = role.HuggingFaceName(i);
                // A bias the config does not announce is still loaded and used; only its shape is checked.
                if (role.IsPresent(c.Layers[i].Biases) || _store.Contains(name)) Expect(name, role.Shape(c.Layers[i], c.HiddenSize, c.HeadDim));
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

    private void Expect(string name, long[] shape)
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
