using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>Writes a model held in memory as a Hugging Face folder (config.json, model.safetensors) that <see cref="ModelLoader"/> opens.</summary>
internal static class HuggingFaceFolder
{
    public static void Write(string folder, ModelConfig config, Tensor embedding, Tensor finalNorm, Tensor? lmHead, IReadOnlyList<DecoderLayerWeights> layers)
    {
        Directory.CreateDirectory(folder);
        var tensors = new List<(string Name, Tensor Tensor)>
        {
            ("model.embed_tokens.weight", embedding),
            ("model.norm.weight", finalNorm),
        };
        if (!config.TieWordEmbeddings) tensors.Add(("lm_head.weight", lmHead ?? throw new ArgumentNullException(nameof(lmHead))));
        for (int i = 0; i < layers.Count; i++)
            tensors.AddRange(layers[i].Named().Select(t => ($"model.layers.{i}.{t.Suffix}", t.Tensor)));
        File.WriteAllText(Path.Combine(folder, "config.json"), HuggingFaceConfig.ToJson(config).ToJsonString());
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
    }

    /// <summary>Copies a model source's weights as they are, with <paramref name="edit"/> applied to the configuration.</summary>
    public static void Copy(IModelSource source, string folder, Func<ModelConfig, ModelConfig>? edit = null)
    {
        var layers = Enumerable.Range(0, source.Config.NumLayers).Select(source.LoadLayer).ToList();
        using var embedding = source.LoadEmbedding();
        using var norm = source.LoadFinalNorm();
        using var head = source.Config.TieWordEmbeddings ? null : source.LoadLmHead();
        Write(folder, edit?.Invoke(source.Config) ?? source.Config, embedding, norm, head, layers);
        foreach (var l in layers) l.Dispose();
    }

    public static void CopyTokenizerFiles(string from, string to)
    {
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "tokenizer.model" })
            if (File.Exists(Path.Combine(from, name)))
                File.Copy(Path.Combine(from, name), Path.Combine(to, name));
    }
}
