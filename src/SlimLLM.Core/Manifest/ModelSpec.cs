using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tuning;

namespace SlimLLM.Manifest;

/// <summary>One entry of the manifest's <c>models:</c> list, validated, with absolute paths.</summary>
public sealed record ModelSpec
{
    /// <summary>Output folder name ([A-Za-z0-9._-]+, unique within the manifest).</summary>
    public required string Name { get; init; }
    /// <summary>The manifest this model is declared in (absolute) and the position of its entry, for messages.</summary>
    public required string ManifestPath { get; init; }
    public required SourcePosition Position { get; init; }
    public required SourceSpec Source { get; init; }
    public required CalibrationSpec Calibration { get; init; }
    public required PruningSpec Pruning { get; init; }
    /// <summary>The <c>tuning:</c> section, its files absolute (the calibration files when it names none); null: no tuning.</summary>
    public TuningSettings? Tuning { get; init; }
    public required IReadOnlyList<EvaluateSpec> Evaluate { get; init; }
    /// <summary>The <c>output.dir</c> folder, absolute (default: <c>out</c> next to the manifest).</summary>
    public required string OutputRoot { get; init; }
    public required IReadOnlyList<OutputFormat> Formats { get; init; }
    /// <summary><c>output.gguf_type</c>: the element type of model.gguf's matrices.</summary>
    public Export.GgufOutputType GgufType { get; init; } = Export.GgufOutputType.F16;
    /// <summary>auto, cpu, cuda or cuda:N, lower case; resolved by <see cref="Compute.ComputeDevice.Resolve"/>.</summary>
    public required string Device { get; init; }
    /// <summary>The manifest-level <c>cache:</c> folder, absolute, or null.</summary>
    public string? CacheDir { get; init; }
    /// <summary>
    /// Where settings checked only once the model is open are written (<c>calibration.samples</c>, <c>calibration.seq_len</c>,
    /// <c>evaluate[i].seq_len</c>, <c>evaluate</c>, <c>tuning</c> and every <c>tuning.KEY</c>): the value, or its section when the
    /// default is used.
    /// </summary>
    public IReadOnlyDictionary<string, SourcePosition> SettingPositions { get; init; } = new Dictionary<string, SourcePosition>();

    /// <summary>The position of <paramref name="setting"/> (a manifest key path), or the model entry's when it is not known.</summary>
    public SourcePosition PositionOf(string setting) => SettingPositions.TryGetValue(setting, out var p) ? p : Position;

    /// <summary>The folder the pruned model is written to: <c>&lt;output.dir&gt;/&lt;name&gt;</c>.</summary>
    public string OutputDir => Path.Combine(OutputRoot, Name);

    /// <summary>
    /// The pipeline's job for this model, once its source is resolved to <paramref name="modelPath"/> (<paramref name="modelOrigin"/>:
    /// how slimllm.json names a fetched model). A <paramref name="deviceOverride"/> other than auto replaces <see cref="Device"/>.
    /// </summary>
    public PruneJob ToPruneJob(string modelPath, string? modelOrigin, string? deviceOverride = null)
    {
        var manifestDir = Path.GetDirectoryName(ManifestPath)!;
        return new PruneJob
        {
            Name = Name,
            ModelPath = modelPath,
            ModelOrigin = modelOrigin,
            ProvenanceRoot = manifestDir,
            CalibrationFiles = Calibration.Files,
            Samples = Calibration.Samples,
            SeqLen = Calibration.SeqLen,
            Seed = Calibration.Seed,
            Settings = ToPruneSettings(),
            Evaluate = Evaluate.Select(e => new EvaluationSpec(e.Text, e.MaxTokens, e.SeqLen, e.MaxPerplexityIncrease)).ToList(),
            Tuning = Tuning,
            OutputDir = OutputDir,
            Device = deviceOverride is null or "auto" ? Device : deviceOverride,
            SettingsSource = ManifestPath,
            ExportGguf = Formats.Contains(OutputFormat.Gguf),
            GgufType = GgufType,
            ProtectedPaths = [(manifestDir, "the manifest's folder"), (ManifestPath, "the manifest")],
        };
    }

    /// <summary>The engine's settings: the pruning section plus the calibration mode and batch size.</summary>
    public PruneSettings ToPruneSettings() => new()
    {
        Method = Pruning.Method,
        AttentionMethod = Pruning.AttentionCriterion,
        FfnMethod = Pruning.FfnCriterion,
        Ratio = new RatioSpec(Pruning.Target, Pruning.Ratio, Pruning.PrunedLayers, Pruning.Alpha, Pruning.MaxRatio),
        Mode = Calibration.Mode,
        Recovery = Pruning.ExplicitRecovery,
        NoRecovery = Pruning.NoRecovery,
        KeepLowestOnePercent = Pruning.KeepLowestOnePercent,
        ChannelMultiple = Pruning.ChannelMultiple,
        BatchSize = Calibration.BatchSize,
    };
}

public enum OutputFormat { Safetensors, Gguf }
