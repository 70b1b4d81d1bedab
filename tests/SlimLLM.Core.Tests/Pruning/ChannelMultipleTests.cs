using SlimLLM.Pruning.Ratios;
using SlimLLM.Pruning.Selection;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Pruning;

/// <summary><c>pruning.channel_multiple</c>: every layer's kept FFN width a multiple of N, chosen by score, and the target solved with it.</summary>
public class ChannelMultipleTests
{
    [Theory]
    // m, ratio, N, pruned: 384 at 0.2 keeps 307 by the ratio, rounded to 320 (10 x 32)
    [InlineData(384, 0.2, 32, 64)]
    [InlineData(384, 0.2, 1, 77)]
    // 307.2 kept at 0.2 of 384 by PruneLowest too; 0.23 keeps 296 -> 9.25 blocks -> 288
    [InlineData(384, 0.23, 32, 96)]
    // an unpruned layer whose width is not a multiple loses the remainder: 172 -> 160
    [InlineData(172, 0.0, 32, 12)]
    // never below one multiple: 0.9 of 100 keeps 10 -> rounded up to 32
    [InlineData(100, 0.9, 32, 68)]
    // a half multiple rounds to even: 48 kept of 64 is 1.5 blocks of 32 -> 2 blocks = 64, capped at the width -> 0 pruned
    [InlineData(64, 0.25, 32, 0)]
    // a layer narrower than one multiple is left as the ratio gives it
    [InlineData(20, 0.5, 32, 10)]
    public void The_kept_width_is_rounded_to_the_nearest_multiple(int m, double ratio, int multiple, int expectedPruned) =>
        Assert.Equal(expectedPruned, FfnChannelSelector.PrunedCount(m, ratio, FfnSelectionRule.PruneLowest, multiple));

    [Fact]
    public void Protected_channels_stay_within_the_rounded_width()
    {
        // 1000 channels: 10 protected; 0.99 would keep 10 (all protected), the multiple raises it to 32.
        Assert.Equal(1000 - 32, FfnChannelSelector.PrunedCount(1000, 0.99, FfnSelectionRule.ProtectLowestOnePercent, 32));
        // 3200 channels with N = 16: 32 protected, ratio 0.995 keeps 32 by the rule, a multiple of 16 already.
        Assert.Equal(3200 - 32, FfnChannelSelector.PrunedCount(3200, 0.995, FfnSelectionRule.ProtectLowestOnePercent, 16));
    }

    [Fact]
    public void The_channels_the_rounding_keeps_or_removes_are_the_next_in_score_order()
    {
        const int m = 384;
        var rng = new Random(7);
        var scores = Enumerable.Range(0, m).Select(_ => rng.NextDouble()).ToArray();
        using var t = tensor(scores);
        var byScore = Enumerable.Range(0, m).OrderBy(i => scores[i]).ToArray();
        foreach (var (ratio, rule) in new[] { (0.2, FfnSelectionRule.PruneLowest), (0.23, FfnSelectionRule.ProtectLowestOnePercent) })
        {
            var kept = FfnChannelSelector.KeptChannels(t, ratio, rule, 32);
            Assert.Equal(0, kept.Length % 32);
            int protectedCount = FfnChannelSelector.ProtectedCount(m, rule);
            int pruned = m - kept.Length;
            // The protected lowest, then the pruned block above them, the rest kept: whole runs of the score order.
            var expected = byScore[..protectedCount].Concat(byScore[(protectedCount + pruned)..]).Select(i => (long)i).Order().ToArray();
            Assert.Equal(expected, kept);
        }
    }

    [Fact]
    public void The_target_is_solved_with_the_rounded_widths_and_met_as_closely_as_any_ratio_allows()
    {
        var shapes = Enumerable.Range(0, 8).Select(_ => new LayerShape(Hidden: 512, Heads: 8, KvHeads: 8, HeadDim: 64, Ffn: 1376)).ToList();
        var similarities = Enumerable.Range(0, 8).Select(l => 0.5 + 0.05 * l).ToArray();
        const double target = 0.2;
        var solution = LayerRatioPlanner.SolveForParameterFraction(similarities, shapes, target, prunedLayers: 6, alpha: 10, channelMultiple: 32);
        for (int l = 0; l < shapes.Count; l++)
        {
            int kept = shapes[l].Ffn - shapes[l].PrunedCounts(solution.Plan.Ratios[l], FfnSelectionRule.ProtectLowestOnePercent, 32).Channels;
            Assert.Equal(0, kept % 32);
        }
        // No mean ratio on a fine grid gets closer to the target than the solution.
        long dense = shapes.Sum(s => s.DenseParameters);
        double best = double.MaxValue;
        for (double r = 0; r <= 0.9; r += 1e-4)
        {
            var plan = LayerRatioPlanner.Plan(similarities, new LayerRatioSettings(r, 6, 10, 0.9));
            long removed = shapes.Select((s, l) => s.ParametersRemoved(plan.Ratios[l], FfnSelectionRule.ProtectLowestOnePercent, 32)).Sum();
            best = Math.Min(best, Math.Abs(removed - target * dense));
        }
        Assert.True(Math.Abs(solution.ParametersRemoved - target * dense) <= best, $"{solution.ParametersRemoved} vs best distance {best}");
        Assert.InRange(solution.AchievedFraction, 0.19, 0.21);
    }
}
