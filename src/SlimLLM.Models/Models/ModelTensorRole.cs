namespace SlimLLM.Models;

/// <summary>The tensors outside the decoder layers, with their Hugging Face and GGUF (llama.cpp) names.</summary>
public sealed class ModelTensorRole
{
    private readonly Func<ModelConfig, long[]> _shape;

    private ModelTensorRole(string huggingFace, string gguf, Func<ModelConfig, long[]> shape)
    {
        HuggingFaceName = huggingFace;
        GgufName = gguf;
        _shape = shape;
    }

    public string HuggingFaceName { get; }
    public string GgufName { get; }

    public long[] Shape(ModelConfig c) => _shape(c);

    public static readonly ModelTensorRole Embedding = new("model.embed_tokens.weight", "token_embd.weight", c => [c.VocabSize, c.HiddenSize]);
    public static readonly ModelTensorRole FinalNorm = new("model.norm.weight", "output_norm.weight", c => [c.HiddenSize]);
    /// <summary>The output head; absent when the model ties it to the embedding.</summary>
    public static readonly ModelTensorRole OutputHead = new("lm_head.weight", "output.weight", c => [c.VocabSize, c.HiddenSize]);
}
