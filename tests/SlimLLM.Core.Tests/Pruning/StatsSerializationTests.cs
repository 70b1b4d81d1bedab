using SlimLLM.Errors;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class StatsSerializationTests
{
    [Fact]
    public void Output_covariance_and_channel_moments_round_trip_through_plain_tensors()
    {
        var y = Random(91, 5, 3);
        using var covariance = new OutputCovarianceStats(3);
        covariance.Accumulate(y);
        var covarianceTensors = covariance.ToTensors();
        Assert.Equal(new[] { "count", "gram", "sum" }, covarianceTensors.Keys.Order());
        using var restoredCovariance = OutputCovarianceStats.FromTensors(covarianceTensors, "c.safetensors");
        Assert.Equal(5L, restoredCovariance.Count);
        Assert.Equal(Values(covariance.CenteredScatter()), Values(restoredCovariance.CenteredScatter()));

        using var moments = new ChannelMomentStats(3);
        moments.Accumulate(y.to(ScalarType.BFloat16));
        var momentTensors = moments.ToTensors();
        Assert.Equal(new[] { "count", "sum", "sumsq" }, momentTensors.Keys.Order());
        using var restoredMoments = ChannelMomentStats.FromTensors(momentTensors, "m.safetensors");
        Assert.Equal(Values(moments.Variances()), Values(restoredMoments.Variances()));
        Assert.Equal(Values(moments.Norms()), Values(restoredMoments.Norms()));
    }

    [Fact]
    public void A_negative_count_in_a_cache_is_reported_with_the_file()
    {
        using var moments = new ChannelMomentStats(2);
        moments.Accumulate(Random(92, 4, 2));
        var tensors = moments.ToTensors();
        tensors["count"] = tensor(new[] { -3L });
        var error = Assert.Throws<SlimLLMException>(() => ChannelMomentStats.FromTensors(tensors, "m.safetensors"));
        Assert.Equal("m.safetensors: The channel moment statistics hold a negative token count (-3) in tensor 'count'. Delete the statistics cache file so that the statistics are recomputed from the calibration data.", error.Message);
    }

    [Fact]
    public void Accumulating_head_outputs_equals_accumulating_their_contributions()
    {
        var x = Random(93, 2, 5, 4, 2); // b x s x H x h
        var wO = Random(94, 3, 8);
        using var viaHeads = new UnitContributionStats(2, 3);
        viaHeads.AccumulateHeadOutputs(x, wO);
        using var viaContributions = new UnitContributionStats(2, 3);
        viaContributions.Accumulate(UnitContributionStats.ComputeContributions(x.reshape(10, 4, 2), wO, 2));
        Assert.Equal(10L, viaHeads.Count);
        Assert.Equal(Values(viaContributions.CrossProducts), Values(viaHeads.CrossProducts));
        Assert.Equal(Values(viaContributions.Sums), Values(viaHeads.Sums));
    }
}
