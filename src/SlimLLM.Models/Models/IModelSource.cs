using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// A LLaMA-family checkpoint opened for reading: its configuration, tokenizer, and weights read lazily one
/// piece at a time in Hugging Face layout (CPU tensors in the stored dtype), whatever the file format.
/// </summary>
public interface IModelSource : IDisposable
{
    /// <summary>The folder or file the model was opened from.</summary>
    string Path { get; }
    /// <summary>"safetensors" or "gguf".</summary>
    string Format { get; }
    ModelConfig Config { get; }
    ITokenizer Tokenizer { get; }
    Tensor LoadEmbedding();
    Tensor LoadFinalNorm();
    /// <summary>The output projection [vocab, hidden]; the embedding when tied.</summary>
    Tensor LoadLmHead();
    DecoderLayerWeights LoadLayer(int index);

    /// <summary>
    /// Layer <paramref name="index"/> in <paramref name="dtype"/> on <paramref name="device"/>. Sources that read tensor by
    /// tensor convert each as it is read, so the stored copy of a whole layer never sits beside the converted one.
    /// </summary>
    DecoderLayerWeights LoadLayer(int index, Device device, ScalarType dtype)
    {
        using var raw = LoadLayer(index);
        return raw.To(device, dtype);
    }
}
