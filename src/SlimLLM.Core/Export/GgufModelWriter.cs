using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Progress;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// Writes a LLaMA-family model as a llama.cpp GGUF file while its tensors arrive: the layout (metadata, vocabulary, every
/// tensor's place) is fixed from the configuration up front, then the embedding, each layer in turn and the final norm and
/// head go straight to their places. The file appears only on <see cref="Commit"/>. <see cref="GgufExporter"/> feeds it from
/// a model on disk; <see cref="Output.GgufLayerStore"/> from the pruning engine, layer by layer.
/// </summary>
public sealed class GgufModelWriter : IDisposable
{
    private readonly GgufWriter _writer;
    private readonly Dictionary<string, GgufTensorDeclaration> _declared;
    private readonly ModelConfig _config;
    private readonly string _configPath;
    private readonly GgufOutputType _type;
    private readonly int _vocabularySize;

    /// <param name="configPath">Names the model in errors about its tensors.</param>
    /// <param name="writeVocabulary">Writes the tokenizer.* metadata and returns the vocabulary size (<see cref="GgufVocabularyMetadata"/>).</param>
    public GgufModelWriter(string outPath, ModelConfig config, string configPath, Func<GgufMetadataBuilder, int> writeVocabulary, GgufOutputType type,
        string modelName, IProgressReporter? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outPath);
        LlamaCppHyperparameters.Check(config, configPath);
        Architecture = LlamaCppHyperparameters.ArchitectureFor(config);
        var metadata = new GgufMetadataBuilder();
        LlamaCppHyperparameters.Write(metadata, config, Architecture, modelName, type);
        _vocabularySize = writeVocabulary(metadata);
        var tensors = LlamaCppTensors.Declare(config, type);
        GgufBlockWidths.Check(tensors, type, configPath);
        (progress ?? NullProgress.Instance).Info($"GGUF export: architecture {Architecture}, {config.NumLayers} layers, {tensors.Count} tensors, weights {type}.");
        _declared = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _config = config;
        _configPath = configPath;
        _type = type;
        _writer = GgufWriter.Create(outPath, metadata, tensors);
    }

    public string Architecture { get; }

    public void Embedding(Tensor embedding) => Put(ModelTensorRole.Embedding.GgufName, embedding);

    public void Layer(int index, DecoderLayerWeights layer)
    {
        foreach (var (name, tensor) in LlamaCppTensors.Layer(index, layer, _config.Layers[index]))
            using (tensor) Put(name, tensor);
    }

    /// <param name="lmHead">Null with tied embeddings: llama.cpp (llama and deci) then uses token_embd for the output head.</param>
    public void End(Tensor finalNorm, Tensor? lmHead)
    {
        Put(ModelTensorRole.FinalNorm.GgufName, finalNorm);
        if (!_config.TieWordEmbeddings) Put(ModelTensorRole.OutputHead.GgufName, lmHead ?? throw new ArgumentNullException(nameof(lmHead)));
    }

    public GgufExportResult Commit()
    {
        _writer.Commit();
        return new GgufExportResult(Path.GetFullPath(_writer.Path), Architecture, _type, _declared.Count, _vocabularySize, new FileInfo(_writer.Path).Length);
    }

    /// <summary>Abandons an uncommitted file (nothing is left behind).</summary>
    public void Dispose() => _writer.Dispose();

    private void Put(string name, Tensor value)
    {
        if (!_declared.TryGetValue(name, out var target))
            throw new SlimLLMException(_configPath, $"the checkpoint has a tensor for {name} that its configuration does not announce.",
                "Declare the bias in config.json (attention_bias / mlp_bias, or the layer's entry in slimllm_layers).");
        GgufTensorEncoding.Write(_writer, value, target);
    }
}
