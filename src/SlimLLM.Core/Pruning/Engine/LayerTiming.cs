namespace SlimLLM.Pruning.Engine;

/// <summary>
/// One layer's share of the work, in seconds: its dense calibration forward (the similarity pass), the second forward of
/// the layer on its sequential inputs that the statistics are taken from (passes A and B), and the work the pruning adds
/// (statistics, selection, regression). Zero where a cache hit skipped the work. <see cref="Phases"/> holds every phase of the
/// layer's pruning (load to store), <see cref="PeakRssBytes"/> and <see cref="PeakDeviceBytes"/> its peak memory: for the
/// --json report only (never slimllm.json, which must not change from run to run).
/// </summary>
public sealed record LayerTiming(int Layer, double ForwardSeconds, double StatisticsSeconds, double SelectionSeconds, double RegressionSeconds,
    double StatisticsForwardSeconds = 0)
{
    /// <summary>Seconds per phase of the layer's pruning (the phases of <see cref="PhaseTimings"/> that ran).</summary>
    public IReadOnlyDictionary<string, double> Phases { get; init; } = new Dictionary<string, double>();
    /// <summary>The process's peak resident memory while the layer was pruned; null where it cannot be measured apart.</summary>
    public long? PeakRssBytes { get; init; }
    /// <summary>The GPU's peak memory in use while the layer was pruned (sampled); null on the CPU.</summary>
    public long? PeakDeviceBytes { get; init; }

    /// <summary>Statistics + selection + regression: the pruning work proper, without the passes it reads.</summary>
    public double ExtraSeconds => StatisticsSeconds + SelectionSeconds + RegressionSeconds;

    /// <summary><see cref="ExtraSeconds"/> plus the statistics passes: everything a layer costs beyond its dense forward, but for
    /// the step to the next layer's inputs.</summary>
    public double ExtraWithPassesSeconds => StatisticsForwardSeconds + ExtraSeconds;

    public static LayerTiming Between(int layer, double forwardSeconds, IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after)
    {
        double D(string phase) => after.GetValueOrDefault(phase) - before.GetValueOrDefault(phase);
        return new LayerTiming(layer, forwardSeconds, D("statistics"), D("selection"), D("regression"), D(LayerStatisticsComputer.ForwardPhase))
        {
            Phases = after.Keys.Where(p => D(p) > 0).ToDictionary(p => p, D),
        };
    }
}
