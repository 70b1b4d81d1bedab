using SlimLLM.Errors;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class UnitContributionStatsTests
{
    [Fact]
    public void Contributions_sum_each_kv_groups_heads_as_explicit_loops_do()
    {
        // n = 3 tokens, H = 4 heads of h = 2, G = 2 groups (heads 0,1 -> group 0; heads 2,3 -> group 1), d = 3.
        const int n = 3, heads = 4, h = 2, groups = 2, d = 3;
        var x = Random(1, n, heads, h);
        var wO = Random(2, d, heads * h).to(ScalarType.Float32);
        var t = UnitContributionStats.ComputeContributions(x, wO, groups);
        Assert.Equal(new long[] { groups, n, d }, t.shape);
        Assert.Equal(ScalarType.Float64, t.dtype);

        var xv = Values(x);
        var wv = Values(wO);
        var expected = new double[groups * n * d];
        for (var g = 0; g < groups; g++)
            for (var tok = 0; tok < n; tok++)
                for (var j = 0; j < d; j++)
                    for (var head = g * 2; head < g * 2 + 2; head++)
                        for (var e = 0; e < h; e++)
                            expected[(g * n + tok) * d + j] += xv[(tok * heads + head) * h + e] * wv[j * heads * h + head * h + e];
        AllClose(expected, Values(t), 1e-12);
    }

    [Fact]
    public void Covariance_from_streamed_batches_equals_direct_population_covariance()
    {
        var t = Random(3, 3, 10, 2);
        using var stats = new UnitContributionStats(3, 2);
        stats.Accumulate(t[.., ..4, ..]);
        stats.Accumulate(t[.., 4.., ..].to(ScalarType.Float32)); // upcast inside: stats stay float64
        Assert.Equal(10L, stats.Count);
        Assert.Equal(ScalarType.Float64, stats.CrossProducts.dtype);

        // What was accumulated: tokens 0..3 as given, tokens 4..9 rounded through float32.
        var seen = Values(cat(new[] { t[.., ..4, ..], t[.., 4.., ..].to(ScalarType.Float32).to(ScalarType.Float64) }, 1));
        double At(int g, int tok, int j) => seen[(g * 10 + tok) * 2 + j];
        var cov = Values(stats.Covariance());
        for (var a = 0; a < 3; a++)
            for (var b = 0; b < 3; b++)
                for (var j = 0; j < 2; j++)
                {
                    double ma = 0, mb = 0, c = 0;
                    for (var tok = 0; tok < 10; tok++) { ma += At(a, tok, j) / 10; mb += At(b, tok, j) / 10; }
                    for (var tok = 0; tok < 10; tok++) c += (At(a, tok, j) - ma) * (At(b, tok, j) - mb) / 10;
                    Assert.Equal(c, cov[(a * 3 + b) * 2 + j], 1e-14);
                }
    }

    [Fact]
    public void Constant_and_zero_dimensions_contribute_nothing_and_never_NaN()
    {
        // Dimension 0 is random; dimension 1 is exactly 0 for every unit; dimension 2 is a nonzero constant per unit.
        const int g = 4, n = 12;
        var data = new double[g * n * 3];
        var random = RandomValues(5, g * n);
        for (var u = 0; u < g; u++)
            for (var tok = 0; tok < n; tok++)
            {
                data[(u * n + tok) * 3] = random[u * n + tok];
                data[(u * n + tok) * 3 + 2] = 0.1 * (u + 1);
            }
        using var stats = new UnitContributionStats(g, 3);
        stats.Accumulate(tensor(data, new long[] { g, n, 3 }, ScalarType.Float64));
        var result = HolisticUnitSelector.Select(stats, 2);

        // Expected: only dimension 0 counts, |Pearson| over tokens computed directly.
        for (var i = 0; i < g; i++)
        {
            var z = Enumerable.Range(0, n).Select(tok => Enumerable.Range(0, g).Where(u => u != i).Sum(u => data[(u * n + tok) * 3])).ToArray();
            var y = Enumerable.Range(0, n).Select(tok => Enumerable.Range(0, g).Sum(u => data[(u * n + tok) * 3])).ToArray();
            Assert.Equal(Math.Abs(Pearson(z, y)), result.Scores[i], 1e-12);
        }
        Assert.All(result.Scores, s => Assert.False(double.IsNaN(s)));
        Assert.False(double.IsNaN(result.FinalObjective));
    }

    [Fact]
    public void Equal_scores_keep_the_lower_unit_first_in_the_initial_order()
    {
        // Units 1 and 3 are identical, so their leave-one-out scores are bitwise equal.
        var t = Random(7, 4, 20, 3);
        t[3] = t[1];
        using var stats = new UnitContributionStats(4, 3);
        stats.Accumulate(t);
        var result = HolisticUnitSelector.Select(stats, 1);
        Assert.Equal(result.Scores[1], result.Scores[3]);
        var order = result.InitialOrder.ToList();
        Assert.True(order.IndexOf(1) < order.IndexOf(3));
        Assert.Equal(1, order.IndexOf(3) - order.IndexOf(1));
    }

    [Fact]
    public void Regression_stats_of_kept_units_equal_direct_accumulation()
    {
        var t = Random(11, 5, 9, 4);
        using var stats = new UnitContributionStats(5, 4);
        stats.Accumulate(t);
        using var fromUnits = stats.RegressionStats(new[] { 4, 0, 2 });
        using var direct = new PerDimRegressionStats(4);
        direct.Accumulate(t[0] + t[2] + t[4], t.sum(dim: 0));
        Assert.Equal(9L, fromUnits.Count);
        foreach (var (a, b) in new[] { (fromUnits.SumX, direct.SumX), (fromUnits.SumY, direct.SumY), (fromUnits.SumXX, direct.SumXX), (fromUnits.SumXY, direct.SumXY), (fromUnits.SumYY, direct.SumYY) })
            AllClose(Values(b), Values(a), 1e-12);
    }

    [Fact]
    public void Restoring_from_a_cache_with_a_missing_or_misshapen_tensor_names_the_file()
    {
        using var stats = new UnitContributionStats(3, 2);
        stats.Accumulate(Random(1, 3, 4, 2));
        var tensors = stats.ToTensors();
        tensors.Remove("cross");
        var missing = Assert.Throws<SlimLLMException>(() => UnitContributionStats.FromTensors(tensors, "stats/l3.safetensors"));
        Assert.Equal("stats/l3.safetensors: The attention unit contribution statistics lack the tensor 'cross'. Delete the statistics cache file so that the statistics are recomputed from the calibration data.", missing.Message);
        tensors["cross"] = zeros(3, 2, 2, dtype: ScalarType.Float64);
        var misshapen = Assert.Throws<SlimLLMException>(() => UnitContributionStats.FromTensors(tensors, "stats/l3.safetensors"));
        Assert.Equal("stats/l3.safetensors: The attention unit contribution statistics tensor 'cross' has shape [3, 2, 2], expected [3, 3, 2]. Delete the statistics cache file so that the statistics are recomputed from the calibration data.", misshapen.Message);
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), c = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            c += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }
        return c / Math.Sqrt(va * vb);
    }
}
