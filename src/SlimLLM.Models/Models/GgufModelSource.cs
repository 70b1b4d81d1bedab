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

    public Tensor LoadEmbedding() => Load("token_embd.weight");
    public Tensor LoadLmHead() => Load(_file.Contains("output.weight") ? "output.weight" : "token_embd.weight");
    public Tensor LoadFinalNorm() => Load("output_norm.weight");

    /// <summary>A tensor of the file, refused when it holds NaN or infinite values.</summary>
    private Tensor Load(string name) => FiniteWeights.Ensure(_file.Load(name), _file.Path, name);

    public DecoderLayerWeights LoadLayer(int index)
    {
        var p = $"blk.{index}.";
        var layer = Config.Layers[index];
        Tensor L(string s) => Load(p + s);
        Tensor? B(string s) => _file.Contains(p + s) ? Load(p + s) : null;
        Tensor Unpermute(Tensor t, int heads) { using (t) return GgufLlamaLayout.UnpermuteQK(t, heads); }
        Tensor? UnpermuteOpt(Tensor? t, int heads) => t is null ? null : Unpermute(t, heads);
        return new DecoderLayerWeights
        {
            InputNorm = L("attn_norm.weight"),
            Q = Unpermute(L("attn_q.weight"), layer.NumHeads), QBias = UnpermuteOpt(B("attn_q.bias"), layer.NumHeads),
            K = Unpermute(L("attn_k.weight"), layer.NumKeyValueHeads), KBias = UnpermuteOpt(B("attn_k.bias"), layer.NumKeyValueHeads),
            V = L("attn_v.weight"), VBias = B("attn_v.bias"),
            O = L("attn_output.weight"), OBias = B("attn_output.bias"),
            PostAttentionNorm = L("ffn_norm.weight"),
            Gate = L("ffn_gate.weight"), GateBias = B("ffn_gate.bias"),
            Up = L("ffn_up.weight"), UpBias = B("ffn_up.bias"),
            Down = L("ffn_down.weight"), DownBias = B("ffn_down.bias"),
        };
    }

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
        check.LayersPresent($"{arch}.block_count", layers, f, "blk.");
        int[] Sizes(string key, int[] values) => values.Select(v => check.AtLeastOne(key, v)).ToArray();
        var heads = Sizes($"{arch}.attention.head_count", PerLayer(m, $"{arch}.attention.head_count", layers));
        var kvHeads = m.Contains($"{arch}.attention.head_count_kv") ? Sizes($"{arch}.attention.head_count_kv", PerLayer(m, $"{arch}.attention.head_count_kv", layers)) : heads;
        var ffn = Sizes($"{arch}.feed_forward_length", PerLayer(m, $"{arch}.feed_forward_length", layers));
        int headDim = check.EvenHeadDim($"{arch}.attention.key_length",
            m.Contains($"{arch}.attention.key_length") ? check.AtLeastOne($"{arch}.attention.key_length", m.GetInt($"{arch}.attention.key_length"))
            : m.Contains($"{arch}.rope.dimension_count") ? check.AtLeastOne($"{arch}.rope.dimension_count", m.GetInt($"{arch}.rope.dimension_count"))
            : check.HeadDim($"{arch}.embedding_length", hidden, $"{arch}.attention.head_count", heads.Max()));
        int vocab = check.AtLeastOne("vocab size", m.Contains("tokenizer.ggml.tokens") ? m.GetStringArray("tokenizer.ggml.tokens").Length : (int)f.Info("token_embd.weight").Shape[0]);
        double Positive(string key, double dflt) => check.PositiveFinite(key, m.Contains(key) ? Decimal(m, key) : dflt);
        RefuseRopeScaling(f, arch);

        var layerConfigs = new List<DecoderLayerConfig>(layers);
        for (int i = 0; i < layers; i++)
        {
            var p = $"blk.{i}.";
            var biases = new ProjectionBiases(f.Contains(p + "attn_q.bias"), f.Contains(p + "attn_k.bias"), f.Contains(p + "attn_v.bias"),
                f.Contains(p + "attn_output.bias"), f.Contains(p + "ffn_gate.bias"), f.Contains(p + "ffn_up.bias"), f.Contains(p + "ffn_down.bias"));
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
            TieWordEmbeddings = !f.Contains("output.weight"),
            BosTokenId = m.Contains("tokenizer.ggml.bos_token_id") ? m.GetInt("tokenizer.ggml.bos_token_id") : null,
            EosTokenId = m.Contains("tokenizer.ggml.eos_token_id") ? m.GetInt("tokenizer.ggml.eos_token_id") : null,
            TorchDtype = f.Info("blk.0.attn_q.weight").DType switch
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
        void Expect(string name, params long[] shape)
        {
            if (!f.Contains(name))
                throw new SlimLLMException(f.Path, $"has no tensor '{name}', which its metadata implies.", "The file is incomplete or not a LLaMA model.");
            var actual = f.Info(name).Shape;
            if (!actual.SequenceEqual(shape))
                throw new SlimLLMException(f.Path, $"tensor '{name}' has shape [{string.Join(", ", actual)}] but the metadata implies [{string.Join(", ", shape)}].",
                    "The file is corrupt or was written by an unsupported converter.");
        }
        long d = c.HiddenSize, hd = c.HeadDim;
        Expect("token_embd.weight", c.VocabSize, d);
        Expect("output_norm.weight", d);
        if (f.Contains("output.weight")) Expect("output.weight", c.VocabSize, d);
        for (int i = 0; i < c.NumLayers; i++)
        {
            var l = c.Layers[i];
            var p = $"blk.{i}.";
            Expect(p + "attn_norm.weight", d);
            Expect(p + "ffn_norm.weight", d);
            Expect(p + "attn_q.weight", l.NumHeads * hd, d);
            Expect(p + "attn_k.weight", l.NumKeyValueHeads * hd, d);
            Expect(p + "attn_v.weight", l.NumKeyValueHeads * hd, d);
            Expect(p + "attn_output.weight", d, l.NumHeads * hd);
            Expect(p + "ffn_gate.weight", l.IntermediateSize, d);
            Expect(p + "ffn_up.weight", l.IntermediateSize, d);
            Expect(p + "ffn_down.weight", d, l.IntermediateSize);
            void Bias(string name, bool present, long size) { if (present) Expect(p + name, size); }
            Bias("attn_q.bias", l.Biases.Q, l.NumHeads * hd);
            Bias("attn_k.bias", l.Biases.K, l.NumKeyValueHeads * hd);
            Bias("attn_v.bias", l.Biases.V, l.NumKeyValueHeads * hd);
            Bias("attn_output.bias", l.Biases.O, d);
            Bias("ffn_gate.bias", l.Biases.Gate, l.IntermediateSize);
            Bias("ffn_up.bias", l.Biases.Up, l.IntermediateSize);
            Bias("ffn_down.bias", l.Biases.Down, d);
        }
    }

    public void Dispose()
    {
        if (_tokenizer.IsValueCreated) _tokenizer.Value.Dispose();
        _file.Dispose();
    }
}
