using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Safetensors;
using SlimLLM.Models;
using SlimLLM.Output;
using static TorchSharp.torch;

namespace SlimLLM.DevTools.Synth;

/// <summary>
/// Random-weight checkpoints with real LLaMA shapes, for speed and scale work only (never for quality claims): weights are
/// N(0, 1/fan_in), norms 1, written layer by layer as (sharded) safetensors plus config.json, with the tokenizer files of a
/// real model so that calibration text can be tokenized. The vocabulary may be larger than the tokenizer's (embedding and
/// output head then have the real model's sizes); the tokenizer's ids stay valid because they are all below it.
/// </summary>
public static class SyntheticModel
{
    /// <param name="Vocab">Embedding and output-head rows; null takes the tokenizer model's vocabulary size.</param>
    public sealed record Shape(int Hidden, int Heads, int KvHeads, int Ffn, int Layers, int? Vocab = null);

    public static Shape Named(string name, int? layers = null, int? vocab = null) => name.ToLowerInvariant() switch
    {
        "llama-7b" => new Shape(4096, 32, 32, 11008, layers ?? 32, vocab ?? 32000),
        "llama-3-8b" => new Shape(4096, 32, 8, 14336, layers ?? 32, vocab ?? 128256),
        _ => throw new SlimLLMException(null, $"unknown shape '{name}'.", "Use llama-7b, llama-3-8b or custom (with --hidden, --heads, --kv-heads, --ffn)."),
    };

    public static void Write(string outDir, Shape shape, string tokenizerFrom, ScalarType dtype, int seed = 0,
        long maxShardBytes = SafetensorsShardedWriter.DefaultMaxShardBytes)
    {
        if (shape.Heads % shape.KvHeads != 0 || shape.Hidden % shape.Heads != 0)
            throw new SlimLLMException(null, $"heads {shape.Heads} must divide hidden {shape.Hidden} and be a multiple of KV heads {shape.KvHeads}.");
        var tokenizerFolder = Path.GetFullPath(tokenizerFrom);
        var tokenizerConfigPath = Path.Combine(tokenizerFolder, "config.json");
        var tokenizerConfig = HuggingFaceConfig.Load(tokenizerConfigPath);
        int hd = shape.Hidden / shape.Heads, vocab = shape.Vocab ?? tokenizerConfig.VocabSize;
        if (vocab < tokenizerConfig.VocabSize)
            throw new SlimLLMException(tokenizerConfigPath, $"vocabulary {vocab} is smaller than the tokenizer's {tokenizerConfig.VocabSize}, so some token ids would have no embedding.",
                $"Pass --vocab {tokenizerConfig.VocabSize} or more, or a tokenizer with a smaller vocabulary.");
        var layer = new DecoderLayerConfig(shape.Heads, shape.KvHeads, shape.Ffn, ProjectionBiases.None);
        var config = new ModelConfig
        {
            Architecture = "LlamaForCausalLM", HiddenSize = shape.Hidden, VocabSize = vocab, HeadDim = hd,
            Layers = Enumerable.Repeat(layer, shape.Layers).ToList(), TieWordEmbeddings = false, MaxPositionEmbeddings = 4096,
            BosTokenId = tokenizerConfig.BosTokenId, EosTokenId = tokenizerConfig.EosTokenId,
            TorchDtype = dtype switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" },
        };
        var dt = TensorDTypes.FromScalarType(dtype);
        var infos = new List<TensorInfo>
        {
            new(ModelTensorRole.Embedding.HuggingFaceName, dt, ModelTensorRole.Embedding.Shape(config)),
            new(ModelTensorRole.FinalNorm.HuggingFaceName, dt, ModelTensorRole.FinalNorm.Shape(config)),
            new(ModelTensorRole.OutputHead.HuggingFaceName, dt, ModelTensorRole.OutputHead.Shape(config)),
        };
        // Norms first (a stable sort by rank): the order the values have always been drawn in, so a seed gives the same checkpoint.
        var roles = LayerTensorRole.Present(layer).OrderBy(r => r.Shape(layer, shape.Hidden, hd).Length).ToList();
        for (int l = 0; l < shape.Layers; l++)
            infos.AddRange(roles.Select(r => new TensorInfo(r.HuggingFaceName(l), dt, r.Shape(layer, shape.Hidden, hd))));
        OutputFolderGuard.Check(Path.GetFullPath(outDir), IsSyntheticOutput,
            [(tokenizerFolder, "the model the tokenizer is taken from"), .. OutputFolderGuard.CommonProtectedPaths()], null);
        using var folder = new AtomicFolder(outDir);
        var generator = new Generator((ulong)seed);
        SafetensorsShardedWriter.Write(folder.TempPath, infos, info =>
        {
            if (info.Shape.Length == 1) return ones(info.Shape, dtype: dtype);
            // Embeddings ~ N(0, 1); projections ~ N(0, 1/fan_in) so activations keep their scale through the layers.
            double std = info.Name == ModelTensorRole.Embedding.HuggingFaceName ? 1.0 : 1.0 / Math.Sqrt(info.Shape[1]);
            return RandomNormal(info.Shape, std, dtype, generator);
        }, null, maxShardBytes);
        var json = HuggingFaceConfig.ToJson(config);
        json[SyntheticMarker] = true;
        File.WriteAllText(Path.Combine(folder.TempPath, "config.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model" })
            if (File.Exists(Path.Combine(tokenizerFolder, f))) File.Copy(Path.Combine(tokenizerFolder, f), Path.Combine(folder.TempPath, f));
        folder.Commit();
    }

    /// <summary>The config.json key that marks a synthetic checkpoint (so that synth replaces only folders it wrote).</summary>
    public const string SyntheticMarker = "slimllm_synthetic";

    private static bool IsSyntheticOutput(string folder)
    {
        var config = Path.Combine(folder, "config.json");
        return File.Exists(config) && File.ReadAllText(config).Contains($"\"{SyntheticMarker}\"", StringComparison.Ordinal);
    }

    /// <summary>
    /// N(0, std^2) in <paramref name="dtype"/>, drawn in float32 blocks of rows so that a large bf16 matrix (a 128k-row
    /// output head) never has a float32 copy of itself in memory.
    /// </summary>
    private static Tensor RandomNormal(long[] shape, double std, ScalarType dtype, Generator generator)
    {
        const long blockElements = 1L << 24;
        var result = empty(shape, dtype: dtype);
        long rowsPerBlock = Math.Max(1, blockElements / shape[1]);
        for (long row = 0; row < shape[0]; row += rowsPerBlock)
        {
            using var scope = NewDisposeScope();
            long rows = Math.Min(rowsPerBlock, shape[0] - row);
            result.narrow(0, row, rows).copy_(randn([rows, shape[1]], generator: generator).mul_(std));
        }
        return result;
    }
}
