using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class HeadOutputMomentsTests
{
    [Theory]
    [InlineData(4, 4)]   // multi-head attention: one unit per head
    [InlineData(4, 2)]   // grouped-query attention: two heads per KV group
    [InlineData(6, 1)]   // one group holding every head
    public void Group_statistics_from_head_output_moments_equal_those_of_the_explicit_contributions(int heads, int groups)
    {
        const int h = 2, d = 5, tokens = 37;
        var x = Random(11, tokens, heads, h);
        var wO = Random(12, d, heads * h);
        using var direct = new UnitContributionStats(groups, d);
        direct.Accumulate(UnitContributionStats.ComputeContributions(x, wO, groups));

        using var moments = new HeadOutputMoments(heads * h);
        moments.Accumulate(x[..20]);
        moments.Accumulate(x[20..].to(ScalarType.Float32).to(ScalarType.Float64)); // batches of any size add up
        using var derived = UnitContributionStats.FromHeadOutputMoments(moments, wO, groups);

        Assert.Equal(tokens, derived.Count);
        AllClose(Values(UnitContributionStats.ComputeContributions(x, wO, groups).sum(1)), Values(derived.Sums), 1e-6);
        using var expected = new UnitContributionStats(groups, d);
        expected.Accumulate(UnitContributionStats.ComputeContributions(cat([x[..20], x[20..].to(ScalarType.Float32).to(ScalarType.Float64)], 0), wO, groups));
        AllClose(Values(expected.CrossProducts), Values(derived.CrossProducts), 1e-12);
        AllClose(Values(expected.Sums), Values(derived.Sums), 1e-12);
    }

    [Fact]
    public void Width_that_does_not_split_into_groups_is_rejected()
    {
        using var moments = new HeadOutputMoments(6);
        moments.Accumulate(Random(1, 3, 6));
        var e = Assert.Throws<ArgumentException>(() => UnitContributionStats.FromHeadOutputMoments(moments, Random(2, 4, 6), 4));
        Assert.Contains("cannot be split into 4 KV groups", e.Message);
    }
}
