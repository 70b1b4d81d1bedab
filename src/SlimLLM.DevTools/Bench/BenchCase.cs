namespace SlimLLM.DevTools.Bench;

/// <summary>
/// One row of the benchmark: a model (a shared one by path, or a synthetic one to generate), calibration size and how it is
/// pruned. <see cref="Rebuild"/> prunes twice with a fresh statistics cache and reports both runs.
/// </summary>
public sealed record BenchCase
{
    /// <summary>The --cases group it belongs to (shared, rebuild, llama-7b, scaling, memory, evaluate, tune).</summary>
    public required string Group { get; init; }
    /// <summary>The row label.</summary>
    public required string Name { get; init; }
    public string? ModelPath { get; init; }
    public SynthSpec? Synth { get; init; }
    public required int Samples { get; init; }
    public required int SeqLen { get; init; }
    /// <summary>--pruned-layers; null leaves the tool's default (a share of the layers).</summary>
    public int? PrunedLayers { get; init; }
    public bool Rebuild { get; init; }
    /// <summary>Tokens of the evaluation text the prune also measures perplexity on (--eval, --max-tokens); null: none.</summary>
    public int? EvaluateTokens { get; init; }
    /// <summary>After the prune, <c>slimllm tune</c> the pruned model without and with activation checkpointing; null: no tuning.</summary>
    public TuneSpec? Tune { get; init; }
}

/// <summary>The training of a tune case: few steps of batch x seq_len tokens (the start and end losses on small text).</summary>
public sealed record TuneSpec(int Steps, int BatchSize, int SeqLen);

/// <summary>Two cases whose totals should differ by <see cref="Expected"/> if cost is linear in what changed.</summary>
public sealed record ScalingPair(string What, string Smaller, string Larger, double Expected);
