using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// A GGUF v3 file of the <c>llama</c> architecture (or <c>deci</c>, whose head counts and FFN widths are per-layer arrays).
/// Weights are presented in Hugging Face layout: q/k rows are un-permuted from llama.cpp's interleaved RoPE order.
/// </summary>
public sealed class GgufModelSource : IModelSource
{
    private static readonly string[] SupportedArchitectures = ["llama", "deci"];
    private readonly GgufFile _file;
    private readonly Lazy<ITokenizer> _tokenizer;

    public GgufModelSource(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _file = GgufFile.Open(Path);
        try
        {
            Config = ReadConfig(_file);
            _tokenizer = new Lazy<ITokenizer>(() => TokenizerLoader.ForModel(TokenizerLoader.FromGguf(_file), Config.VocabSize, Path));
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public string Format => "gguf";
    public ModelConfig Config { get; }
    public ITokenizer Tokenizer => _tokenizer.Value;
    public GgufFile File => _file;

    private static readonly string EmbedName = ModelTensorRole.Embedding.GgufName, HeadName = ModelTensorRole.OutputHead.GgufName,
        NormName = ModelTensorRole.FinalNorm.GgufName;

    public Tensor LoadEmbedding() => Load(EmbedName);
    public Tensor LoadLmHead() => Load(_file.Contains(HeadName) ? HeadName : EmbedName);
    public Tensor LoadFinalNorm() => Load(NormName);

    /// <summary>A tensor of the file, refused when it holds NaN or infinite values.</summary>
    private Tensor Load(string name) => FiniteWeights.Ensure(_file.Load(name), _file.Path, name);

    public DecoderLayerWeights LoadLayer(int index) => DecoderLayerWeights.Load(role =>
    {
        var name = role.GgufName(index);
        return role.IsBias && !_file.Contains(name) ? null : GgufLlamaLayout.FromGguf(role, Load(name), Config.Layers[index]);
    });

    private static ModelConfig ReadConfig(GgufFile f)
    {
        var m = f.Metadata;
        var arch = m.GetString("general.architecture");
        if (!SupportedArchitectures.Contains(arch))
            throw new SlimLLMException(f.Path, $"GGUF architecture '{arch}' is not supported.", $"Supported: {string.Join(", ", SupportedArchitectures)} (LLaMA family).");
        var check = new HyperparameterChecks(f.Path, "The file's metadata is corrupt or inconsistent: convert the model again.");
        int hidden = check.AtLeastOne($"{arch}.embedding_length", m.GetInt($"{arch}.embedding_length"));
        int layers = check.Layers($"{arch}.block_count", m.GetInt($"{arch}.block_count"));
        // Before any per-layer array is built: the declared blocks must be those the file holds.
        check.LayersPresent($"{arch}.block_count", layers, f, LayerTensorRole.GgufPrefix);
        int[] Sizes(string key, int[] values) => values.Select(v => check.AtLeastOne(key, v)).ToArray();
        var heads = Sizes($"{arch}.attention.head_count", PerLayer(m, $"{arch}.attention.head_count", layers));
        var kvHeads = m.Contains($"{arch}.attention.head_count_kv") ? Sizes($"{arch}.attention.head_count_kv", PerLayer(m, $"{arch}.attention.head_count_kv", layers)) : heads;
        var ffn = Sizes($"{arch}.feed_forward_length", PerLayer(m, $"{arch}.feed_forward_length", layers));
        int headDim = check.EvenHeadDim($"{arch}.attention.key_length",
            m.Contains($"{arch}.attention.key_length") ? check.AtLeastOne($"{arch}.attention.key_length", m.GetInt($"{arch}.attention.key_length"))
            : m.Contains($"{arch}.rope.dimension_count") ? check.AtLeastOne($"{arch}.rope.dimension_count", m.GetInt($"{arch}.rope.dimension_count"))
            : check.HeadDim($"{arch}.embedding_length", hidden, $"{arch}.attention.head_count", heads.Max()));
        int vocab = check.AtLeastOne("vocab size", m.Contains("tokenizer.ggml.tokens") ? m.GetStringArray("tokenizer.ggml.tokens").Length : (int)f.Info(EmbedName).Shape[0]);
        double Positive(string key, double dflt) => check.PositiveFinite(key, m.Contains(key) ? Decimal(m, key) : dflt);
        RefuseRopeScaling(f, arch);

        var layerConfigs = new List<DecoderLayerConfig>(layers);
        for (int i = 0; i < layers; i++)
        {
            bool Has(LayerTensorRole bias) => f.Contains(bias.GgufName(i));
            var biases = new ProjectionBiases(Has(LayerTensorRole.QBias), Has(LayerTensorRole.KBias), Has(LayerTensorRole.VBias),
                Has(LayerTensorRole.OBias), Has(LayerTensorRole.GateBias), Has(LayerTensorRole.UpBias), Has(LayerTensorRole.DownBias));
            if (kvHeads[i] <= 0 || heads[i] % kvHeads[i] != 0)
                throw new SlimLLMException(f.Path, $"layer {i} has {heads[i]} heads, not a multiple of its {kvHeads[i]} KV heads.");
            layerConfigs.Add(new DecoderLayerConfig(heads[i], kvHeads[i], ffn[i], biases));
        }
        var config = new ModelConfig
        {
            Architecture = "LlamaForCausalLM",
            HiddenSize = hidden,
            VocabSize = vocab,
            HeadDim = headDim,
            Layers = layerConfigs,
            RmsNormEps = Positive($"{arch}.attention.layer_norm_rms_epsilon", 1e-5),
            RopeTheta = Positive($"{arch}.rope.freq_base", 10000.0),
            MaxPositionEmbeddings = check.Context($"{arch}.context_length", m.GetInt($"{arch}.context_length", 2048)),
            TieWordEmbeddings = !f.Contains(HeadName),
            BosTokenId = m.Contains("tokenizer.ggml.bos_token_id") ? m.GetInt("tokenizer.ggml.bos_token_id") : null,
            EosTokenId = m.Contains("tokenizer.ggml.eos_token_id") ? m.GetInt("tokenizer.ggml.eos_token_id") : null,
            TorchDtype = f.Info(LayerTensorRole.Q.GgufName(0)).DType switch
            {
                IO.TensorDType.F16 => "float16",
                IO.TensorDType.BF16 => "bfloat16",
                _ => "float32",
            },
        };
        ValidateShapes(f, config);
        return config;
    }

    /// <summary>
    /// RoPE scaling in a GGUF (llama.cpp's rope.scaling.* keys, or Llama 3.1's frequency factors in rope_freqs.weight) is not
    /// implemented for GGUF input: refused by name rather than run with plain RoPE, which would give wrong outputs.
    /// </summary>
    private static void RefuseRopeScaling(GgufFile f, string arch)
    {
        var m = f.Metadata;
        string typeKey = $"{arch}.rope.scaling.type", factorKey = $"{arch}.rope.scaling.factor";
        string? type = m.Contains(typeKey) ? m.GetString(typeKey) : null;
        double factor = m.Contains(factorKey) ? m.GetDouble(factorKey) : 1.0;
        const string fix = "Use the model's Hugging Face folder (llama3 rope_scaling is supported there), or a GGUF without RoPE scaling.";
        if (type is not (null or "none") || (type is null && factor != 1.0 && factor != 0.0))
            throw new SlimLLMException(f.Path, $"the model uses {type ?? "linear"} RoPE scaling ('{typeKey}', factor {factor}), which is not implemented for GGUF input.", fix);
        if (f.Contains("rope_freqs.weight"))
            throw new SlimLLMException(f.Path, "the model carries RoPE frequency factors ('rope_freqs.weight', Llama 3.1 scaling), which are not implemented for GGUF input.", fix);
    }

    /// <summary>
    /// A float metadata value as the decimal it was written from: f32 1e-6 reads back as 1e-6, not 9.99999997e-7, so a
    /// configuration survives a round trip through GGUF unchanged.
    /// </summary>
    private static double Decimal(GgufMetadata m, string key) => m[key].Value is float f
        ? double.Parse(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)
        : m.GetDouble(key);

    private static int[] PerLayer(GgufMetadata m, string key, int layers)
    {
        var v = m[key];
        if (!v.IsArray) return Enumerable.Repeat(m.GetInt(key), layers).ToArray();
        var arr = m.GetIntArray(key);
        if (arr.Length != layers)
            throw new SlimLLMException(m.Path, $"GGUF metadata '{key}' has {arr.Length} entries for {layers} layers.", "The file is corrupt or inconsistent.");
        return arr;
    }

    private static void ValidateShapes(GgufFile f, ModelConfig c)
    {
        void Expect(string name, long[] shape)
        {
            if (!f.Contains(name))
                throw new SlimLLMException(f.Path, $"has no tensor '{name}', which its metadata implies.", "The file is incomplete or not a LLaMA model.");
            var actual = f.Info(name).Shape;
            if (!actual.SequenceEqual(shape))
                throw new SlimLLMException(f.Path, $"tensor '{name}' has shape [{string.Join(", ", actual)}] but the metadata implies [{string.Join(", ", shape)}].",
                    "The file is corrupt or was written by an unsupported converter.");
        }
        Expect(EmbedName, ModelTensorRole.Embedding.Shape(c));
        Expect(NormName, ModelTensorRole.FinalNorm.Shape(c));
        if (f.Contains(HeadName)) Expect(HeadName, ModelTensorRole.OutputHead.Shape(c));
        for (int i = 0; i < c.NumLayers; i++)
            foreach (var role in LayerTensorRole.Present(c.Layers[i]))
                Expect(role.GgufName(i), role.Shape(c.Layers[i], c.HiddenSize, c.HeadDim));
    }

    public void Dispose()
    {
        if (_tokenizer.IsValueCreated) _tokenizer.Value.Dispose();
        _file.Dispose();
    }
}
