using System.Text.Json;
using System.Text.Json.Nodes;
using SlimLLM.Errors;
using SlimLLM.IO;

namespace SlimLLM.Models;

/// <summary>
/// Reads and writes Hugging Face <c>config.json</c> for the LLaMA family. Pruned models with per-layer sizes keep
/// the plain Hugging Face keys (set to the largest layer's values) and add <c>slimllm_layers</c>, one object per
/// decoder layer (schema in docs/pruned-model-format.md).
/// </summary>
public static class HuggingFaceConfig
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];
    public const string PerLayerKey = "slimllm_layers";

    /// <param name="weights">The checkpoint the config belongs to, when open: its decoder layers must be the declared number
    /// (checked before any per-layer list is built).</param>
    public static ModelConfig Load(string path, ITensorStore? weights = null) => Parse(ReadJson(path), path, weights);

    /// <summary>config.json as a JSON object (one-line errors when it is missing or not JSON).</summary>
    public static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path))
            throw new SlimLLMException(path, "config.json not found.", "A Hugging Face model folder needs config.json beside its weights.");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new SlimLLMException(path, "config.json is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new SlimLLMException(path, $"config.json is not valid JSON ({e.Message}).", "Restore the file from the model's source.");
        }
    }

    /// <summary>The activations config.json may name for the SwiGLU MLP: all are SiLU (transformers' ACT2FN maps "swish" to SiLU).</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["silu", "swish"];

    public static ModelConfig Parse(JsonObject root, string path, ITensorStore? weights = null)
    {
        var arch = ((root["architectures"] as JsonArray)?.FirstOrDefault() is JsonValue first && first.TryGetValue<string>(out var archName) ? archName : null)
            ?? throw new SlimLLMException(path, "config.json has no \"architectures\" entry naming the model class.", "Add e.g. \"architectures\": [\"LlamaForCausalLM\"].");
        if (!SupportedArchitectures.Contains(arch))
            throw new SlimLLMException(path, $"unsupported architecture '{arch}'.", $"Supported: {string.Join(", ", SupportedArchitectures)}.");
        if (root["hidden_act"] is JsonNode act && !(act is JsonValue v && v.TryGetValue<string>(out var name) && SupportedActivations.Contains(name)))
            throw new SlimLLMException(path, $"\"hidden_act\" is {act.ToJsonString()}; SlimLLM computes the LLaMA MLP with SiLU only, so this model would be run (and pruned) wrongly.",
                "Use a model whose hidden_act is \"silu\".");

        var check = new HyperparameterChecks(path, "Fix the value in config.json, or use the config.json that came with the model.");
        int hidden = check.AtLeastOne("hidden_size", Int(root, "hidden_size", path));
        int heads = check.AtLeastOne("num_attention_heads", Int(root, "num_attention_heads", path));
        int kvHeads = check.AtLeastOne("num_key_value_heads", OptInt(root, "num_key_value_heads", path) ?? heads);
        int ffn = check.AtLeastOne("intermediate_size", Int(root, "intermediate_size", path));
        int layers = check.Layers("num_hidden_layers", Int(root, "num_hidden_layers", path));
        int vocab = check.AtLeastOne("vocab_size", Int(root, "vocab_size", path));
        int headDim = check.EvenHeadDim("head_dim", OptInt(root, "head_dim", path) is int hd ? check.AtLeastOne("head_dim", hd)
            : check.HeadDim("hidden_size", hidden, "num_attention_heads", heads));
        int maxPositions = check.Context("max_position_embeddings", OptInt(root, "max_position_embeddings", path) ?? 2048);
        double eps = check.PositiveFinite("rms_norm_eps", OptDouble(root, "rms_norm_eps", path) ?? 1e-6);
        double theta = check.PositiveFinite("rope_theta", OptDouble(root, "rope_theta", path) ?? 10000.0);
        if (heads % kvHeads != 0)
            throw new SlimLLMException(path, $"num_attention_heads ({heads}) is not a multiple of num_key_value_heads ({kvHeads}).");
        if (weights is not null) check.LayersPresent("num_hidden_layers", layers, weights, LayerTensorRole.HuggingFacePrefix);

        bool qwen = arch == "Qwen2ForCausalLM";
        bool attnBias = OptBool(root, "attention_bias") ?? false;
        bool mlpBias = OptBool(root, "mlp_bias") ?? false;
        var biases = new ProjectionBiases(Q: qwen || attnBias, K: qwen || attnBias, V: qwen || attnBias, O: attnBias,
                                          Gate: mlpBias, Up: mlpBias, Down: mlpBias);

        IReadOnlyList<DecoderLayerConfig> layerConfigs;
        if (root[PerLayerKey] is JsonArray perLayer)
        {
            if (perLayer.Count != layers)
                throw new SlimLLMException(path, $"{PerLayerKey} has {perLayer.Count} entries but num_hidden_layers is {layers}.");
            layerConfigs = perLayer.Select((n, i) => ParseLayer(n as JsonObject ?? throw new SlimLLMException(path, $"{PerLayerKey}[{i}] is not an object."), biases, path, i)).ToList();
        }
        else
        {
            layerConfigs = Enumerable.Repeat(new DecoderLayerConfig(heads, kvHeads, ffn, biases), layers).ToList();
        }

        return new ModelConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            VocabSize = vocab,
            HeadDim = headDim,
            Layers = layerConfigs,
            RmsNormEps = eps,
            RopeTheta = theta,
            RopeScaling = ParseRopeScaling(root["rope_scaling"] as JsonObject, path, check),
            MaxPositionEmbeddings = maxPositions,
            TieWordEmbeddings = OptBool(root, "tie_word_embeddings") ?? false,
            BosTokenId = OptIntOrFirst(root, "bos_token_id"),
            EosTokenId = OptIntOrFirst(root, "eos_token_id"),
            TorchDtype = OptString(root, "torch_dtype", path) ?? OptString(root, "dtype", path) ?? "float32",
        };
    }

    private static DecoderLayerConfig ParseLayer(JsonObject n, ProjectionBiases defaults, string path, int i)
    {
        var b = n["bias"] as JsonObject;
        bool Bias(string key, bool dflt) => b is null ? dflt : OptBool(b, key, path, $"{PerLayerKey}[{i}].bias.") ?? dflt;
        var biases = new ProjectionBiases(
            Bias("q_proj", defaults.Q), Bias("k_proj", defaults.K), Bias("v_proj", defaults.V), Bias("o_proj", defaults.O),
            Bias("gate_proj", defaults.Gate), Bias("up_proj", defaults.Up), Bias("down_proj", defaults.Down));
        var check = new HyperparameterChecks(path, "Fix the value in config.json, or use the config.json that came with the model.");
        int Size(string key) => check.AtLeastOne($"{PerLayerKey}[{i}].{key}", Int(n, key, path, $"{PerLayerKey}[{i}]."));
        return new DecoderLayerConfig(Size("num_attention_heads"), Size("num_key_value_heads"), Size("intermediate_size"), biases);
    }

    private static RopeScaling? ParseRopeScaling(JsonObject? o, string path, HyperparameterChecks check)
    {
        if (o is null) return null;
        var type = OptString(o, "rope_type", path, "rope_scaling.") ?? OptString(o, "type", path, "rope_scaling.") ?? "default";
        if (type == "default") return null;
        if (type != "llama3")
            throw new SlimLLMException(path, $"rope_scaling type '{type}' is not supported.", "Supported: llama3 (or none).");
        double Factor(string key, double dflt) => check.PositiveFinite($"rope_scaling.{key}", OptDouble(o, key, path) ?? dflt);
        double low = Factor("low_freq_factor", 1.0), high = Factor("high_freq_factor", 4.0);
        if (high <= low)
            throw new SlimLLMException(path, $"\"rope_scaling.high_freq_factor\" ({high}) is not above \"rope_scaling.low_freq_factor\" ({low}); llama3 scaling divides by their difference.",
                "Fix the values in config.json, or use the config.json that came with the model.");
        return new RopeScaling(type, Factor("factor", 8.0), low, high,
            check.AtLeastOne("rope_scaling.original_max_position_embeddings", OptInt(o, "original_max_position_embeddings", path) ?? 8192));
    }

    /// <summary>Writes config.json for <paramref name="config"/>, keeping unrelated keys of <paramref name="baseConfig"/> when given.</summary>
    public static JsonObject ToJson(ModelConfig config, JsonObject? baseConfig = null)
    {
        var root = baseConfig?.DeepClone() as JsonObject ?? new JsonObject();
        var first = config.Layers[0];
        root["architectures"] = new JsonArray(config.Architecture);
        root["model_type"] ??= config.Architecture switch { "MistralForCausalLM" => "mistral", "Qwen2ForCausalLM" => "qwen2", _ => "llama" };
        root["hidden_size"] = config.HiddenSize;
        root["num_hidden_layers"] = config.NumLayers;
        root["num_attention_heads"] = config.Layers.Max(l => l.NumHeads);
        root["num_key_value_heads"] = config.Layers.Max(l => l.NumKeyValueHeads);
        root["intermediate_size"] = config.Layers.Max(l => l.IntermediateSize);
        root["head_dim"] = config.HeadDim;
        root["vocab_size"] = config.VocabSize;
        root["rms_norm_eps"] = config.RmsNormEps;
        root["rope_theta"] = config.RopeTheta;
        root["max_position_embeddings"] = config.MaxPositionEmbeddings;
        root["tie_word_embeddings"] = config.TieWordEmbeddings;
        root["torch_dtype"] = config.TorchDtype;
        if (config.BosTokenId is int bos) root["bos_token_id"] = bos;
        if (config.EosTokenId is int eos) root["eos_token_id"] = eos;
        if (config.Architecture == "LlamaForCausalLM")
        {
            root["attention_bias"] = first.Biases.Q && first.Biases.O;
            root["mlp_bias"] = first.Biases.Gate;
        }
        root.Remove(PerLayerKey);
        if (!config.IsUniform || !BiasesExpressibleByHuggingFace(config))
        {
            var arr = new JsonArray();
            foreach (var l in config.Layers)
            {
                var b = new JsonObject
                {
                    ["q_proj"] = l.Biases.Q, ["k_proj"] = l.Biases.K, ["v_proj"] = l.Biases.V, ["o_proj"] = l.Biases.O,
                    ["gate_proj"] = l.Biases.Gate, ["up_proj"] = l.Biases.Up, ["down_proj"] = l.Biases.Down,
                };
                arr.Add(new JsonObject
                {
                    ["num_attention_heads"] = l.NumHeads,
                    ["num_key_value_heads"] = l.NumKeyValueHeads,
                    ["intermediate_size"] = l.IntermediateSize,
                    ["bias"] = b,
                });
            }
            root[PerLayerKey] = arr;
        }
        return root;
    }

    private static bool BiasesExpressibleByHuggingFace(ModelConfig c)
    {
        var b = c.Layers[0].Biases;
        return c.Architecture switch
        {
            "Qwen2ForCausalLM" => b is { Q: true, K: true, V: true, O: false, Gate: false, Up: false, Down: false },
            "MistralForCausalLM" => !b.Any,
            _ => b.Q == b.K && b.K == b.V && b.V == b.O && b.Gate == b.Up && b.Up == b.Down,
        };
    }

    private static int Int(JsonObject o, string key, string path, string prefix = "") =>
        OptInt(o, key, path, prefix) ?? throw new SlimLLMException(path, $"config.json has no integer \"{prefix}{key}\".", "Add it, or use the config.json that came with the model.");

    /// <summary>The integer under <paramref name="key"/>, null when absent; a value that is present but not a 32-bit integer is an error, not the default.</summary>
    private static int? OptInt(JsonObject o, string key, string path, string prefix = "") => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        var other => throw NotA(path, prefix + key, other, "an integer in the 32-bit range"),
    };

    /// <summary>The number under <paramref name="key"/>, null when absent; a value that is present but not a number is an error, not the default.</summary>
    private static double? OptDouble(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        var other => throw NotA(path, key, other, "a number"),
    };

    private static SlimLLMException NotA(string path, string key, JsonNode value, string what) =>
        new(path, $"\"{key}\" is {Shorten(value.ToJsonString())}; it must be {what}.", "Fix the value in config.json, or use the config.json that came with the model.");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static bool? OptBool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>A true/false under <paramref name="key"/>, null when absent; anything else is an error.</summary>
    private static bool? OptBool(JsonObject o, string key, string path, string prefix) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        var other => throw NotA(path, prefix + key, other, "true or false"),
    };

    /// <summary>The string under <paramref name="key"/>, null when absent; a value that is present but not a string is an error.</summary>
    private static string? OptString(JsonObject o, string key, string path, string prefix = "") => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        var other => throw NotA(path, prefix + key, other, "a string"),
    };
    private static int? OptIntOrFirst(JsonObject o, string key) =>
        o[key] is JsonArray a ? (a.FirstOrDefault() is JsonValue v && v.TryGetValue<int>(out var i) ? i : null) : o[key] is JsonValue s && s.TryGetValue<int>(out var j) ? j : null;
}
