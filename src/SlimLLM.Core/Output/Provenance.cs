using System.Text.Json;
using System.Text.Json.Serialization;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;

namespace SlimLLM.Output;

/// <summary>The content of slimllm.json: how a pruned model was made, and what it measured.</summary>
public sealed record Provenance
{
    public string SlimllmVersion { get; init; } = typeof(Provenance).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    public int Algorithm { get; init; } = Pruning.PruningAlgorithm.Version;
    public required BaseModelInfo BaseModel { get; init; }
    public required string Method { get; init; }
    public required SettingsInfo Settings { get; init; }
    public required CalibrationInfo Calibration { get; init; }
    public required RatioInfo Ratios { get; init; }
    public required IReadOnlyList<LayerInfo> Layers { get; init; }
    public required ParameterInfo Parameters { get; init; }
    public IReadOnlyList<EvaluationInfo> Evaluation { get; init; } = [];
    /// <summary>With <c>tuning:</c>: how the pruned model was tuned (its weights are the merged ones).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TuningInfo? Tuning { get; init; }

    public sealed record BaseModelInfo(string Path, string Format, string Architecture);
    /// <param name="AttentionCriterion">The criterion that picked the KV groups (the method's unless another was named).</param>
    /// <param name="FfnCriterion">The criterion that picked the FFN channels (likewise).</param>
    public sealed record SettingsInfo(string Mode, string? Recovery, bool KeepLowest1Pct, double MaxRatio, int BatchSize, int ChannelMultiple = 1,
        string? AttentionCriterion = null, string? FfnCriterion = null);
    public sealed record CalibrationInfo(IReadOnlyList<string> Files, int Samples, int SeqLen, int Seed, long Tokens, string Fingerprint);
    public sealed record RatioInfo(double? TargetReduction, double MeanRatio, int PrunedLayers, double Alpha,
        double AchievedDecoderReduction, double AchievedModelReduction, IReadOnlyList<double> PerLayer);
    public sealed record LayerInfo(int Layer, double Similarity, double Ratio, IReadOnlyList<int> KeptKvGroups, IReadOnlyList<int> KeptChannels,
        int Heads, int KvHeads, int IntermediateSize, long ParametersBefore, long ParametersAfter, int GreedySwaps, double? AttentionObjective,
        double? RidgeStrengthAttention, double? RidgeStrengthFfn);
    public sealed record ParameterCounts(long Total, long Decoder);
    public sealed record ParameterInfo(ParameterCounts Before, ParameterCounts After);
    public sealed record EvaluationInfo(string Text, int SeqLen, long? MaxTokens, double DensePerplexity, double PrunedPerplexity)
    {
        public double PerplexityIncrease => PrunedPerplexity / DensePerplexity - 1;
        /// <summary>With a quantised <c>output.gguf_type</c>: that type, and the pruned model's perplexity with its weights quantised so.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? GgufType { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? QuantizedPerplexity { get; init; }
        /// <summary>With <c>tuning:</c>: the pruned model's perplexity before tuning (<see cref="PrunedPerplexity"/> is after).</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? UntunedPerplexity { get; init; }
    }

    public sealed record TuningLossInfo(double TrainStart, double TrainEnd, double HeldOutStart, double HeldOutEnd);

    public sealed record TuningInfo(string Method, IReadOnlyList<string> Files, int Steps, int SeqLen, int BatchSize, int Rank, double Alpha,
        double LearningRate, string Schedule, int WarmupSteps, double WeightDecay, double MaxGradNorm, double HeldOutFraction, IReadOnlyList<string> Targets,
        int Seed, bool ActivationCheckpointing, long TrainingTokens, long HeldOutTokens, string Fingerprint, long TrainableParameters, TuningLossInfo Loss)
    {
        public static TuningInfo Create(SlimLLM.Tuning.TuningSettings s, SlimLLM.Tuning.TuningResult r, string? provenanceRoot) => new(SlimLLM.Tuning.TuningSettings.LoraMethod,
            s.Files.Select(f => ProvenancePaths.Of(f, provenanceRoot)).ToList(), s.Steps, s.SeqLen, s.BatchSize, s.Rank, s.Alpha, s.LearningRate,
            s.Schedule.ToString().ToLowerInvariant(), s.EffectiveWarmupSteps, s.WeightDecay, s.MaxGradNorm, s.HeldOutFraction,
            SlimLLM.Tuning.LoraTargets.Names.Where(s.Targets.Contains).ToList(), s.Seed, s.ActivationCheckpointing, r.Text.TrainingTokens, r.Text.HeldOutTokens,
            r.Text.Fingerprint, r.Adapters.ParameterCount, new TuningLossInfo(r.Losses.TrainStart, r.Losses.TrainEnd, r.Losses.HeldOutStart, r.Losses.HeldOutEnd));
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // slimllm.json is read by people: "+" and "'" as they are, not \u002B and \u0027.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
    public static Provenance FromJson(string json) => JsonSerializer.Deserialize<Provenance>(json, JsonOptions)!;

    /// <summary>
    /// The provenance of a run. It holds nothing that differs between two runs of the same inputs (no times, no absolute
    /// paths: <see cref="ProvenancePaths"/>), so the output folder is byte-identical; timings are in the run's report.
    /// </summary>
    public static Provenance Create(PruneResult r, Models.IModelSource source, Calibration.CalibrationSet calibration, Pipeline.PruneJob job)
    {
        var s = r.Settings;
        return new Provenance
        {
            BaseModel = new BaseModelInfo(job.ModelOrigin ?? ProvenancePaths.Of(source.Path, job.ProvenanceRoot), source.Format, source.Config.Architecture),
            Method = s.Method.Name,
            Settings = new SettingsInfo(MethodRegistry.ModeName(s.Mode), s.EffectiveRecovery?.Name,
                s.KeepLowestOnePercent, s.Ratio.MaxRatio, s.BatchSize, s.ChannelMultiple, s.EffectiveAttentionMethod.Name, s.EffectiveFfnMethod.Name),
            Calibration = new CalibrationInfo(job.CalibrationFiles.Select(f => ProvenancePaths.Of(f, job.ProvenanceRoot)).ToList(), calibration.Samples, calibration.SeqLen, calibration.Seed, calibration.TokenCount, calibration.Fingerprint),
            Ratios = new RatioInfo(r.TargetReduction, r.MeanRatio, r.PrunedLayerCount, r.Alpha, r.AchievedDecoderReduction, r.AchievedModelReduction,
                r.Decisions.Select(d => d.Ratio).ToList()),
            Layers = r.Decisions.Select((d, i) => new LayerInfo(d.Layer, d.Similarity, d.Ratio, d.KeptKvGroups, d.KeptChannels,
                r.Config.Layers[i].NumHeads, r.Config.Layers[i].NumKeyValueHeads, r.Config.Layers[i].IntermediateSize,
                d.ParametersBefore, d.ParametersAfter, d.GreedySwaps, d.AttentionObjective, d.RidgeStrengthAttention, d.RidgeStrengthFfn)).ToList(),
            Parameters = new ParameterInfo(new ParameterCounts(r.DenseConfig.ParameterCount, r.DenseConfig.DecoderParameterCount),
                new ParameterCounts(r.Config.ParameterCount, r.Config.DecoderParameterCount)),
        };
    }
}
