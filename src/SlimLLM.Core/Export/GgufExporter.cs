using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// Writes a LLaMA-family model (dense or pruned, with per-layer sizes and the o_proj/down_proj biases SlimLLM's recovery adds)
/// as a GGUF v3 file that llama.cpp runs: architecture <c>llama</c> when all layers have the same sizes, <c>deci</c> otherwise;
/// q/k rows permuted for llama.cpp's RoPE; the vocabulary carried over. Streams one layer at a time; the file appears only
/// when complete.
/// </summary>
public static class GgufExporter
{
    /// <summary>Opens <paramref name="modelPath"/> (a Hugging Face folder or a .gguf file) and exports it to <paramref name="outPath"/>.</summary>
    /// <param name="modelName">general.name in the file (default: the model's folder or file name).</param>
    public static GgufExportResult Export(string modelPath, string outPath, GgufOutputType type = GgufOutputType.F16, IProgressReporter? progress = null,
        string? modelName = null)
    {
        using var source = ModelLoader.Open(modelPath);
        return Export(source, outPath, type, progress, modelName);
    }

    public static GgufExportResult Export(IModelSource source, string outPath, GgufOutputType type = GgufOutputType.F16, IProgressReporter? progress = null,
        string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(outPath);
        progress ??= NullProgress.Instance;
        var c = source.Config;
        LlamaCppHyperparameters.Check(c, source.Path);
        var architecture = LlamaCppHyperparameters.ArchitectureFor(c);

        var metadata = new GgufMetadataBuilder();
        LlamaCppHyperparameters.Write(metadata, c, architecture, modelName ?? ModelName(source.Path), type);
        var vocabularySize = GgufVocabularyMetadata.Write(metadata, source);
        var tensors = LlamaCppTensors.Declare(c, type);
        GgufBlockWidths.Check(tensors, type, source.Path);
        progress.Info($"GGUF export: architecture {architecture}, {c.NumLayers} layers, {tensors.Count} tensors, weights {type}.");

        using (var writer = GgufWriter.Create(outPath, metadata, tensors))
        {
            var declared = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
            void Put(string name, Tensor value)
            {
                if (!declared.ContainsKey(name))
                    throw new SlimLLMException(source.Path, $"the checkpoint has a tensor for {name} that its configuration does not announce.",
                        "Declare the bias in config.json (attention_bias / mlp_bias, or the layer's entry in slimllm_layers).");
                using var scope = NewDisposeScope();
                if (GgufQuantizer.IsQuantized(declared[name].Type))
                    writer.WriteRaw(name, GgufQuantizer.Quantize(declared[name].Type, value.to(ScalarType.Float32).contiguous().data<float>().ToArray()));
                else
                    writer.Write(name, Convert(value, declared[name], outPath));
            }

            using (var embedding = source.LoadEmbedding()) Put(ModelTensorRole.Embedding.GgufName, embedding);
            progress.Report("export", 0, c.NumLayers);
            for (int i = 0; i < c.NumLayers; i++)
            {
                using var layer = source.LoadLayer(i);
                foreach (var (name, tensor) in LlamaCppTensors.Layer(i, layer, c.Layers[i]))
                    using (tensor) Put(name, tensor);
                progress.Report("export", i + 1, c.NumLayers);
            }
            using (var norm = source.LoadFinalNorm()) Put(ModelTensorRole.FinalNorm.GgufName, norm);
            // Tied embeddings: no output.weight; llama.cpp (llama and deci) then uses token_embd for the output head.
            if (!c.TieWordEmbeddings)
                using (var head = source.LoadLmHead()) Put(ModelTensorRole.OutputHead.GgufName, head);
            writer.Commit();
        }
        return new GgufExportResult(Path.GetFullPath(outPath), architecture, type, tensors.Count, vocabularySize, new FileInfo(outPath).Length);
    }

    private static Tensor Convert(Tensor value, GgufTensorDeclaration target, string outPath)
    {
        var dtype = target.Type.ToDType()!.Value.ToScalarType();
        var f32 = value.to(ScalarType.Float32);
        if (dtype == ScalarType.Float16)
        {
            var largest = f32.abs().max().item<float>();
            if (largest > 65504f)
                throw new SlimLLMException(outPath, $"tensor {target.Name} holds {largest:G6}, beyond the float16 range (65504).",
                    "Export as f32 or bf16 instead.");
        }
        return f32.to(dtype).contiguous();
    }

    /// <summary>general.name for the model at <paramref name="path"/>: its folder or file name without the extension.</summary>
    public static string ModelName(string path) =>
        Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path)) is { Length: > 0 } n ? n : "model";
}
