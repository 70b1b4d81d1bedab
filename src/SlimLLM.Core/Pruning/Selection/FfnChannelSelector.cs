using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

public static class FfnChannelSelector
{
    public const double ProtectedFraction = 0.01;

    /// <summary>How many channels are protected under <paramref name="rule"/>: round(0.01 m) or 0.</summary>
    public static int ProtectedCount(int channels, FfnSelectionRule rule) =>
        rule == FfnSelectionRule.ProtectLowestOnePercent ? PruneCount.FromRatio(ProtectedFraction, channels) : 0;

    /// <summary>How many of <paramref name="channels"/> channels are pruned at <paramref name="ratio"/>.</summary>
    public static int PrunedCount(int channels, double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent) =>
        Math.Min(PruneCount.FromRatio(ratio, channels), channels - ProtectedCount(channels, rule));

    /// <summary>The kept channel indices, ascending. Ties in score: the lower index counts as less important (stable sort).</summary>
    public static long[] KeptChannels(Tensor scores, double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent)
    {
        if (scores.dim() != 1) throw new ArgumentException("Scores must be a vector.", nameof(scores));
        var m = (int)scores.shape[0];
        int protectedCount = ProtectedCount(m, rule), pruned = PrunedCount(m, ratio, rule);
        using var scope = NewDisposeScope();
        var (_, ascending) = scores.to(ScalarType.Float64).sort(dim: 0, descending: false, stable: true);
        var order = ascending.cpu().data<long>().ToArray();
        return order[..protectedCount].Concat(order[(protectedCount + pruned)..]).Order().ToArray();
    }
}
