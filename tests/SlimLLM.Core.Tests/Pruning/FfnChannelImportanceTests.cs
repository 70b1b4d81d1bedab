using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class FfnChannelImportanceTests
{
    // An orthogonal, symmetric 4 x 4 matrix (Hadamard / 2): its columns are the principal directions of the scatter below.
    private static readonly double[,] Q =
    {
        { 0.5, 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5, -0.5 }, { 0.5, 0.5, -0.5, -0.5 }, { 0.5, -0.5, -0.5, 0.5 },
    };
    private static readonly double[] Lambda = { 4, 1, -0.5, 2.5 }; // mean |lambda| = 2

    [Fact]
    public void Scores_follow_the_paper_formulas_on_a_scatter_with_known_eigenvectors()
    {
        const int d = 4, m = 6;
        var scatter = new double[d * d];
        for (var i = 0; i < d; i++)
            for (var j = 0; j < d; j++)
                for (var k = 0; k < d; k++) scatter[i * d + j] += Q[i, k] * Lambda[k] * Q[j, k];
        var wGate = Random(21, m, d);
        var wUp = Random(22, m, d).to(ScalarType.BFloat16); // upcast inside
        var wDown = Random(23, d, m).to(ScalarType.Float32);
        var nIn = Random(24, d).abs();
        var nA = Random(25, m).abs();

        using var scores = FfnChannelImportance.Score(nIn, nA, tensor(scatter, new long[] { d, d }, ScalarType.Float64), wGate, wUp, wDown);

        double[,] g = Matrix(wGate), u = Matrix(wUp), dn = Matrix(wDown);
        double[] ni = Values(nIn), na = Values(nA);
        var w = Lambda.Select(l => 1 / (1 + Math.Exp(-Math.Abs(l) / 2))).ToArray();
        var expected = new double[m];
        for (var c = 0; c < m; c++)
        {
            double ig = 0, iu = 0, id = 0;
            for (var k = 0; k < d; k++)
            {
                ig += Math.Pow(g[c, k] * ni[k], 2);
                iu += Math.Pow(u[c, k] * ni[k], 2);
                var projection = 0.0;
                for (var j = 0; j < d; j++) projection += Q[j, k] * dn[j, c];
                id += Math.Pow(Math.Abs(projection) * w[k], 2);
            }
            expected[c] = Math.Sqrt(ig) + Math.Sqrt(iu) + na[c] * Math.Sqrt(id);
            Assert.Equal(Math.Sqrt(ig), Values(scores.Gate)[c], 1e-12);
            // I_down's projection V^T W_down runs in float32 (the largest product at 7B scale): float32 precision.
            Assert.Equal(na[c] * Math.Sqrt(id), Values(scores.Down)[c], 1e-6);
        }
        AllClose(expected, Values(scores.Total), 1e-6);
    }

    [Fact]
    public void Centered_scatter_from_streamed_batches_equals_the_explicit_sum()
    {
        var y = Random(31, 9, 3);
        using var stats = new OutputCovarianceStats(3);
        stats.Accumulate(y[..5]);
        stats.Accumulate(y[5..].unsqueeze(0)); // 1 x 4 x 3: leading dimensions are flattened
        Assert.Equal(9L, stats.Count);
        var v = Matrix(y);
        var scatter = Values(stats.CenteredScatter());
        for (var a = 0; a < 3; a++)
            for (var b = 0; b < 3; b++)
            {
                double ma = 0, mb = 0, s = 0;
                for (var n = 0; n < 9; n++) { ma += v[n, a] / 9; mb += v[n, b] / 9; }
                for (var n = 0; n < 9; n++) s += (v[n, a] - ma) * (v[n, b] - mb);
                Assert.Equal(s, scatter[a * 3 + b], 1e-13);
            }
    }

    [Fact]
    public void A_constant_output_gives_equal_half_weights_instead_of_NaN()
    {
        var (weights, _) = FfnChannelImportance.PrincipalWeights(zeros(3, 3, dtype: ScalarType.Float64));
        Assert.Equal(new[] { 0.5, 0.5, 0.5 }, Values(weights));
    }

    [Fact]
    public void Channel_moments_give_norms_and_population_variances_with_exact_zero_for_constant_channels()
    {
        var x = tensor(new double[] { 1, 3, 7, 2, 3, -1, 0, 3, 4, -2, 3, 2 }, new long[] { 4, 3 }, ScalarType.Float64);
        using var stats = new ChannelMomentStats(3);
        stats.Accumulate(x[..1]);
        stats.Accumulate(x[1..]);
        AllClose(new[] { Math.Sqrt(1 + 4 + 0 + 4), Math.Sqrt(36), Math.Sqrt(49 + 1 + 16 + 4) }, Values(stats.Norms()), 1e-15);
        // Channel 0: mean 0.25, E[x^2] 2.25 -> 2.1875; channel 1 is constant; channel 2: mean 3, E[x^2] 17.5 -> 8.5.
        Assert.Equal(new[] { 2.1875, 0.0, 8.5 }, Values(stats.Variances()));
    }

    [Fact]
    public void The_authors_rule_protects_the_lowest_one_percent_and_prunes_the_next_channels()
    {
        // Channel c has score (37 c) mod 200, a permutation of 0..199.
        const int m = 200;
        var score = Enumerable.Range(0, m).Select(c => (double)(37 * c % m)).ToArray();
        var scores = tensor(score, ScalarType.Float64);

        var kept = FfnChannelSelector.KeptChannels(scores, 0.25);
        var expected = Enumerable.Range(0, m).Where(c => score[c] < 2 || score[c] >= 52).Select(c => (long)c).ToArray();
        Assert.Equal(expected, kept);
        Assert.Equal(150, kept.Length);

        var plain = FfnChannelSelector.KeptChannels(scores, 0.25, FfnSelectionRule.PruneLowest);
        Assert.Equal(Enumerable.Range(0, m).Where(c => score[c] >= 50).Select(c => (long)c), plain);
    }

    [Fact]
    public void Counts_round_half_to_even_like_python_and_the_protected_channels_cap_the_pruned_count()
    {
        Assert.Equal(2, PruneCount.FromRatio(0.25, 10));
        Assert.Equal(4, PruneCount.FromRatio(0.5, 7));
        Assert.Equal(2752, FfnChannelSelector.PrunedCount(11008, 0.25));
        Assert.Equal(110, FfnChannelSelector.ProtectedCount(11008, FfnSelectionRule.ProtectLowestOnePercent));
        Assert.Equal(11008 - 110, FfnChannelSelector.PrunedCount(11008, 1.0));
        // A pruned block always keeps at least one unit.
        Assert.Equal(11007, FfnChannelSelector.PrunedCount(11008, 1.0, FfnSelectionRule.PruneLowest));
        Assert.Equal(3, PruneCount.FromRatio(0.9, 4));
        Assert.Equal(new long[] { 2, 3, 12, 13 }, PruneCount.Expand(new[] { 1, 6 }, 2));
    }

    [Fact]
    public void Baseline_selection_prunes_the_lowest_scores_with_ties_to_the_lower_index()
    {
        var kept = LowestScoreSelection.Kept(tensor(new[] { 0.3, 0.1, 0.1, 0.5 }, ScalarType.Float64), 1);
        Assert.Equal(new long[] { 0, 2, 3 }, kept);
    }
}
