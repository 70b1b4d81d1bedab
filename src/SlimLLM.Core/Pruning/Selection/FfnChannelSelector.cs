using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

public static class FfnChannelSelector
{
    public const double ProtectedFraction = 0.01;

    /// <summary>How many channels are protected under <paramref name="rule"/>: round(0.01 m) or 0.</summary>
    public static int ProtectedCount(int channels, FfnSelectionRule rule) =>
        rule == FfnSelectionRule.ProtectLowestOnePercent ? PruneCount.FromRatio(ProtectedFraction, channels) : 0;

    /// <summary>
    /// How many of <paramref name="channels"/> channels are pruned at <paramref name="ratio"/>. With a
    /// <paramref name="multiple"/> above 1 the kept width is then rounded to the nearest multiple of it (half to even), at
    /// least one multiple and at most the largest multiple within the layer (so a layer at ratio 0 whose width is not a
    /// multiple loses the remainder), never fewer than the protected channels. (Below one multiple it stays as it is.)
    /// </summary>
    public static int PrunedCount(int channels, double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent, int multiple = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(multiple, 1);
        int protectedCount = ProtectedCount(channels, rule);
        int pruned = Math.Min(PruneCount.FromRatio(ratio, channels), channels - protectedCount);
        if (multiple == 1 || channels < multiple) return pruned;
        int kept = (int)Math.Round((channels - pruned) / (double)multiple, MidpointRounding.ToEven) * multiple;
        kept = Math.Clamp(kept, multiple, channels / multiple * multiple);
        return channels - Math.Max(kept, protectedCount);
    }

    /// <summary>
    /// The kept channel indices, ascending. Ties in score: the lower index counts as less important (stable sort). The
    /// channels a <paramref name="multiple"/> adds to or takes from the ratio's count are the next in score order.
    /// </summary>
    public static long[] KeptChannels(Tensor scores, double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent, int multiple = 1)
    {
        if (scores.dim() != 1) throw new ArgumentException("Scores must be a vector.", nameof(scores));
        var m = (int)scores.shape[0];
        int protectedCount = ProtectedCount(m, rule), pruned = PrunedCount(m, ratio, rule, multiple);
        using var scope = NewDisposeScope();
        var (_, ascending) = scores.to(ScalarType.Float64).sort(dim: 0, descending: false, stable: true);
        var order = ascending.cpu().data<long>().ToArray();
        return order[..protectedCount].Concat(order[(protectedCount + pruned)..]).Order().ToArray();
    }
}
