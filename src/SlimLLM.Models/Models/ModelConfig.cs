namespace SlimLLM.Models;

/// <summary>
/// Everything needed to run a LLaMA-family decoder: global sizes plus one <see cref="DecoderLayerConfig"/> per layer.
/// This is the one internal description; Hugging Face config.json and GGUF metadata are mapped to and from it.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Hugging Face architecture name (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM).</summary>
    public required string Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int VocabSize { get; init; }
    public required int HeadDim { get; init; }
    public required IReadOnlyList<DecoderLayerConfig> Layers { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    /// <summary>Stored weight dtype ("float32", "float16", "bfloat16").</summary>
    public string TorchDtype { get; init; } = "float32";

    public int NumLayers => Layers.Count;

    /// <summary>True when every layer has the same sizes and biases (a plain Hugging Face config can describe it).</summary>
    public bool IsUniform => Layers.All(l => l == Layers[0]);

    public long EmbeddingParameterCount => (long)VocabSize * HiddenSize;
    public long DecoderParameterCount => Layers.Sum(l => l.ParameterCount(HiddenSize, HeadDim));

    /// <summary>All parameters: embeddings, decoder layers, final norm, and the output head unless tied.</summary>
    public long ParameterCount => EmbeddingParameterCount + DecoderParameterCount + HiddenSize + (TieWordEmbeddings ? 0 : EmbeddingParameterCount);
}

/// <summary>Llama-3 style RoPE frequency scaling ("rope_type": "llama3").</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);
