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
/// q/k rows permuted for llama.cpp's RoPE; the vocabulary carried over. Streams one layer at a time through
/// <see cref="GgufModelWriter"/>; the file appears only when complete.
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
        progress ??= NullProgress.Instance;
        var c = source.Config;
        using var writer = new GgufModelWriter(outPath, c, source.Path, m => GgufVocabularyMetadata.Write(m, source), type,
            modelName ?? ModelName(source.Path), progress);
        using (var embedding = source.LoadEmbedding()) writer.Embedding(embedding);
        progress.Report("export", 0, c.NumLayers);
        for (int i = 0; i < c.NumLayers; i++)
        {
            using (var layer = source.LoadLayer(i)) writer.Layer(i, layer);
            progress.Report("export", i + 1, c.NumLayers);
        }
        using var norm = source.LoadFinalNorm();
        using var head = c.TieWordEmbeddings ? null : source.LoadLmHead();
        writer.End(norm, head);
        return writer.Commit();
    }

    /// <summary>general.name for the model at <paramref name="path"/>: its folder or file name without the extension.</summary>
    public static string ModelName(string path) =>
        Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path)) is { Length: > 0 } n ? n : "model";
}
