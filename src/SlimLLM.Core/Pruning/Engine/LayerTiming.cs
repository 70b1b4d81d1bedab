namespace SlimLLM.Pruning.Engine;

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
