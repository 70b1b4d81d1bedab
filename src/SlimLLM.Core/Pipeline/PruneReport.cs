using SlimLLM.Output;

namespace SlimLLM.Pipeline;

/// <summary>What a pruning run reports to its caller (and, as JSON, to machines).</summary>
public sealed record PruneReport(
    string Name,
    string Output,
    long ForwardPasses,
    CacheCounters Cache,
    IReadOnlyDictionary<string, double> Timings,
    ParameterSummary Parameters,
    IReadOnlyList<EvaluationSummary> Evaluation,
    Provenance Provenance,
    IReadOnlyList<SlimLLM.Pruning.Engine.LayerTiming>? LayerTimings = null,
    IReadOnlyList<string>? Inputs = null)
{
    /// <summary>An evaluate gate failed: <see cref="Output"/> is the NAME.rejected folder beside the output, which was left as it was.</summary>
    public bool Rejected { get; init; }
    /// <summary>With <c>tuning:</c>: the losses, and the passes the tuning ran (none when its adapters came from the cache).</summary>
    public TuningSummary? Tuning { get; init; }
}

public sealed record TuningSummary(SlimLLM.Tuning.TuningLosses Losses, long ForwardPasses, long BackwardPasses, bool Cached);

public sealed record CacheCounters(int Hits, int Misses);
public sealed record ParameterSummary(long Before, long After, long DecoderBefore, long DecoderAfter, double? TargetReduction, double AchievedDecoderReduction);
public sealed record EvaluationSummary(string Text, double DensePerplexity, double PrunedPerplexity, double? MaxPerplexityIncrease)
{
    /// <summary>With a quantised model.gguf: its type and the perplexity of the pruned model with its weights quantised so (gates use the float one).</summary>
    public string? GgufType { get; init; }
    public double? QuantizedPerplexity { get; init; }
    /// <summary>With <c>tuning:</c>: the pruned model's perplexity before tuning (<see cref="PrunedPerplexity"/> is the tuned model's, which gates use).</summary>
    public double? UntunedPerplexity { get; init; }

    public double PerplexityIncrease => PrunedPerplexity / DensePerplexity - 1;
    public bool Failed => MaxPerplexityIncrease is double max && PerplexityIncrease > max;
}
