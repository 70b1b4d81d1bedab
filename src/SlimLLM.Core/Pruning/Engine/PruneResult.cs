using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>What was decided for one decoder layer.</summary>
public sealed record LayerDecision(
    int Layer,
    double Similarity,
    double Ratio,
    IReadOnlyList<int> KeptKvGroups,
    IReadOnlyList<int> KeptChannels,
    int DenseKvGroups,
    int DenseChannels,
    long ParametersBefore,
    long ParametersAfter,
    double? AttentionObjective = null,
    int GreedySwaps = 0,
    double? RidgeStrengthAttention = null,
    double? RidgeStrengthFfn = null);

/// <summary>
/// Wall-clock seconds per phase of a pruning run. Phases are exclusive: while a phase timed inside another runs (the hidden
/// states brought forward inside a statistics pass, a load inside a write), the outer one's clock stands still, so the phases
/// add up to the run's time and none is counted twice.
/// </summary>
public sealed class PhaseTimings
{
    private readonly Dictionary<string, double> _seconds = new();
    private readonly Stack<(string Phase, System.Diagnostics.Stopwatch Clock)> _open = new();
    public IReadOnlyDictionary<string, double> Seconds => _seconds;
    public void Add(string phase, double seconds) => _seconds[phase] = _seconds.GetValueOrDefault(phase) + seconds;

    public T Time<T>(string phase, Func<T> work)
    {
        if (_open.TryPeek(out var outer)) outer.Clock.Stop();
        Trace("begin", phase);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _open.Push((phase, clock));
        try { return work(); }
        finally
        {
            _open.Pop();
            Add(phase, clock.Elapsed.TotalSeconds);
            Trace("end", phase);
            if (_open.TryPeek(out var resumed)) resumed.Clock.Start();
        }
    }

    public void Time(string phase, Action work) => Time(phase, () => { work(); return 0; });

    private static readonly bool Tracing = Environment.GetEnvironmentVariable("SLIMLLM_TRACE") == "1";
    private static readonly System.Diagnostics.Stopwatch TraceClock = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>
    /// SLIMLLM_TRACE=1: one stderr line per phase boundary with the seconds since the first timed phase and the resident and
    /// peak memory, to find where time and memory go inside a layer.
    /// </summary>
    private static void Trace(string edge, string phase)
    {
        if (Tracing)
            Console.Error.WriteLine($"[trace] {TraceClock.Elapsed.TotalSeconds,9:F3} s {edge} {phase}: rss {Diagnostics.ProcessMemory.ResidentBytes() / 1e6:F0} MB, peak {Diagnostics.ProcessMemory.PeakResidentBytes() / 1e6:F0} MB");
    }

    public IReadOnlyDictionary<string, double> Snapshot() => new Dictionary<string, double>(_seconds);
}

/// <summary>
/// One layer's share of the work, in seconds: its dense calibration forward (the similarity pass), the second forward of
/// the layer on its sequential inputs that the statistics are taken from (passes A and B), and the work the pruning adds
/// (statistics, selection, regression). Zero where a cache hit skipped the work.
/// </summary>
public sealed record LayerTiming(int Layer, double ForwardSeconds, double StatisticsSeconds, double SelectionSeconds, double RegressionSeconds,
    double StatisticsForwardSeconds = 0)
{
    /// <summary>Statistics + selection + regression: the pruning work proper, without the passes it reads.</summary>
    public double ExtraSeconds => StatisticsSeconds + SelectionSeconds + RegressionSeconds;

    /// <summary><see cref="ExtraSeconds"/> plus the statistics passes: everything a layer costs beyond its dense forward, but for
    /// the step to the next layer's inputs.</summary>
    public double ExtraWithPassesSeconds => StatisticsForwardSeconds + ExtraSeconds;

    public static LayerTiming Between(int layer, double forwardSeconds, IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after)
    {
        double D(string phase) => after.GetValueOrDefault(phase) - before.GetValueOrDefault(phase);
        return new LayerTiming(layer, forwardSeconds, D("statistics"), D("selection"), D("regression"), D(LayerStatisticsComputer.ForwardPhase));
    }
}

/// <summary>
/// A pruned model in memory: the pruned configuration and CPU weights in the checkpoint's dtype, plus everything
/// the provenance file records.
/// </summary>
public sealed class PruneResult : IDisposable
{
    public required ModelConfig DenseConfig { get; init; }
    public required ModelConfig Config { get; init; }
    /// <summary>Null when the weights were streamed to disk (<see cref="WeightsInMemory"/> false).</summary>
    public required Tensor? Embedding { get; init; }
    public required Tensor? FinalNorm { get; init; }
    /// <summary>Null when the embeddings are tied, or the weights were streamed to disk.</summary>
    public Tensor? LmHead { get; init; }
    /// <summary>Empty when the weights were streamed to disk.</summary>
    public required IReadOnlyList<DecoderLayerWeights> Layers { get; init; }
    public bool WeightsInMemory => Embedding is not null;
    public required IReadOnlyList<LayerDecision> Decisions { get; init; }
    public required PruneSettings Settings { get; init; }
    public required double MeanRatio { get; init; }
    public required int PrunedLayerCount { get; init; }
    public required double Alpha { get; init; }
    public double? TargetReduction { get; init; }
    public required long ForwardPasses { get; init; }
    public required PhaseTimings Timings { get; init; }
    public IReadOnlyList<LayerTiming> LayerTimings { get; init; } = [];

    public long DecoderParametersBefore => DenseConfig.DecoderParameterCount;
    public long DecoderParametersAfter => Config.DecoderParameterCount;
    public double AchievedDecoderReduction => 1.0 - (double)DecoderParametersAfter / DecoderParametersBefore;
    public double AchievedModelReduction => 1.0 - (double)Config.ParameterCount / DenseConfig.ParameterCount;

    public void Dispose()
    {
        Embedding?.Dispose();
        FinalNorm?.Dispose();
        LmHead?.Dispose();
        foreach (var l in Layers) l.Dispose();
    }
}

public static class PruneResultExtensions
{
    /// <summary>The pruned model, resident on a device, for evaluating without writing it first.</summary>
    public static LlamaModel ToModel(this PruneResult r, Device device, ScalarType dtype, int maxPositions)
    {
        if (!r.WeightsInMemory) throw new InvalidOperationException("The pruned weights were streamed to disk; load the written model instead.");
        var embedding = r.Embedding!.to(dtype, device);
        var lmHead = r.LmHead is null ? embedding.alias() : r.LmHead.to(dtype, device);
        return new LlamaModel(r.Config, embedding, r.Layers.Select(l => l.ToCompute(device, dtype)).ToList(), r.FinalNorm!.to(dtype, device), lmHead, device, dtype, maxPositions);
    }
}
