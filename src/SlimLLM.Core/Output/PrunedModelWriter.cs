using System.Text.Json.Nodes;
using SlimLLM.IO.Gguf;
using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tokenization;
using static TorchSharp.torch;

namespace SlimLLM.Output;

/// <summary>Writes a pruned model as a Hugging Face-style folder (docs/pruned-model-format.md).</summary>
public static class PrunedModelWriter
{
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "generation_config.json", "added_tokens.json"];

    public static long DefaultMaxShardBytes { get; set; } = 2_000_000_000;

    /// <summary>
    /// Writes config.json and the tokenizer files into <paramref name="folder"/> (which must exist), and the weights when the
    /// result holds them (a <see cref="StreamingLayerStore"/> has written them already).
    /// </summary>
    public static void Write(string folder, IModelSource source, PruneResult result)
    {
        if (result.WeightsInMemory)
        {
            var tensors = new List<(string Name, Tensor Tensor)>
            {
                (ModelTensorRole.Embedding.HuggingFaceName, result.Embedding!),
                (ModelTensorRole.FinalNorm.HuggingFaceName, result.FinalNorm!),
            };
            if (result.LmHead is not null) tensors.Add((ModelTensorRole.OutputHead.HuggingFaceName, result.LmHead));
            for (int i = 0; i < result.Layers.Count; i++)
                tensors.AddRange(result.Layers[i].Tensors().Select(n => (n.Role.HuggingFaceName(i), n.Tensor)));
            SafetensorsShardedWriter.Write(folder, tensors, null, DefaultMaxShardBytes);
        }

        JsonObject? baseConfig = null;
        var baseConfigPath = Path.Combine(source.Path, "config.json");
        if (source is HuggingFaceModelSource && File.Exists(baseConfigPath))
            baseConfig = JsonNode.Parse(File.ReadAllText(baseConfigPath)) as JsonObject;
        var config = HuggingFaceConfig.ToJson(result.Config, baseConfig);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        WriteTokenizer(source, folder);
    }

    /// <summary>The tokenizer files of the pruned folder (also written before a prune that streams a GGUF, whose vocabulary comes from them).</summary>
    public static void WriteTokenizer(IModelSource source, string folder)
    {
        switch (source)
        {
            case HuggingFaceModelSource hf:
                foreach (var f in TokenizerFiles)
                {
                    var from = Path.Combine(hf.Path, f);
                    if (File.Exists(from)) File.Copy(from, Path.Combine(folder, f), overwrite: true);
                }
                break;
            case GgufModelSource gguf:
                // The GGUF vocabulary becomes a SentencePiece tokenizer.model, which TokenizerLoader reads back identically.
                File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), GgufVocabulary.ToSentencePiece(gguf.File.Metadata).ToBytes());
                break;
        }
    }
}
