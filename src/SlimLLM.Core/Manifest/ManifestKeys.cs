using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tuning;

namespace SlimLLM.Manifest;

/// <summary>
/// The one list of keys and named values the manifest accepts. The loader rejects any other key with these, and a test
/// checks that docs/slimllm.schema.json lists exactly these (section names are the schema's <c>$defs</c> names).
/// </summary>
public static class ManifestKeys
{
    public const string Root = "manifest";
    public const string Model = "model";
    public const string Source = "source";
    public const string Calibration = "calibration";
    public const string Pruning = "pruning";
    public const string Evaluate = "evaluate";
    public const string Output = "output";
    public const string Tuning = "tuning";

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Sections { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        [Root] = ["cache", "models"],
        [Model] = ["name", "source", "calibration", "pruning", "tuning", "evaluate", "output", "device"],
        [Source] = ["path", "nuget", "feed", "huggingface", "revision", "files"],
        [Calibration] = ["files", "samples", "seq_len", "seed", "mode", "batch_size"],
        [Pruning] = ["method", "target", "ratio", "pruned_layers", "alpha", "max_ratio", "recovery", "keep_lowest_1pct", "attention_criterion", "ffn_criterion", "channel_multiple"],
        [Evaluate] = ["text", "max_tokens", "seq_len", "max_perplexity_increase"],
        [Output] = ["dir", "formats", "gguf_type"],
        [Tuning] = ["method", "files", "steps", "seq_len", "batch_size", "rank", "alpha", "learning_rate", "schedule", "warmup_steps", "weight_decay",
            "max_grad_norm", "held_out_fraction", "targets", "seed", "activation_checkpointing"],
    };

    public static IReadOnlyList<KeyValuePair<string, PruningMethod>> Methods { get; } =
        MethodRegistry.Methods.Select(m => KeyValuePair.Create(m.Name, m)).ToList();

    public static IReadOnlyList<KeyValuePair<string, CalibrationMode>> Modes => MethodRegistry.Modes;

    /// <summary>The recovery names, each standing for itself (<see cref="PruningSpec.Recovery"/> holds the name).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Recoveries { get; } =
        MethodRegistry.RecoveryNames.Select(n => KeyValuePair.Create(n, n)).ToList();

    public static IReadOnlyList<KeyValuePair<string, OutputFormat>> Formats { get; } =
        [new("safetensors", OutputFormat.Safetensors), new("gguf", OutputFormat.Gguf)];

    public static IReadOnlyList<KeyValuePair<string, Export.GgufOutputType>> GgufTypes { get; } =
        Export.GgufOutputTypes.Names.Select(n => KeyValuePair.Create(n, Export.GgufOutputTypes.Parse(n))).ToList();

    public static IReadOnlyList<KeyValuePair<string, string>> TuningMethods { get; } = [new(TuningSettings.LoraMethod, TuningSettings.LoraMethod)];

    public static IReadOnlyList<KeyValuePair<string, LearningRateSchedule>> Schedules { get; } =
        Enum.GetValues<LearningRateSchedule>().Select(s => KeyValuePair.Create(s.ToString().ToLowerInvariant(), s)).ToList();

    public static IReadOnlyList<KeyValuePair<string, string>> LoraTargetNames { get; } = LoraTargets.Names.Select(n => KeyValuePair.Create(n, n)).ToList();

    /// <summary>The model-level device values besides <c>cuda:N</c>.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["auto", "cpu", "cuda"];

    /// <summary>The section, other than <paramref name="except"/>, that accepts <paramref name="key"/>, if any.</summary>
    internal static string? SectionAccepting(string key, string except) =>
        Sections.Where(s => s.Key != except && s.Value.Contains(key, StringComparer.Ordinal)).Select(s => s.Key).FirstOrDefault();
}
