using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class LinearRecoveryTests
{
    private const int N = 7, D = 3;

    // Dimension 0: y ≈ 2x + 1 with noise; dimension 1: y unrelated to x; dimension 2: x constant (3.0) for every token.
    private static (double[,] X, double[,] Y) Data(int seed)
    {
        var noise = RandomValues(seed, 3 * N);
        double[,] x = new double[N, D], y = new double[N, D];
        for (var n = 0; n < N; n++)
        {
            x[n, 0] = n - 2.5 + noise[n];
            y[n, 0] = 2 * x[n, 0] + 1 + 0.3 * noise[N + n];
            x[n, 1] = noise[2 * N + n];
            y[n, 1] = Math.Sin(n);
            x[n, 2] = 3.0;
            y[n, 2] = 0.5 * n;
        }
        return (x, y);
    }

    private static PerDimRegressionStats Stats((double[,] X, double[,] Y) data, int split = 3)
    {
        var x = tensor(Flatten(data.X), new long[] { N, D }, ScalarType.Float64);
        var y = tensor(Flatten(data.Y), new long[] { N, D }, ScalarType.Float64);
        var stats = new PerDimRegressionStats(D);
        stats.Accumulate(x[..split], y[..split]);
        stats.Accumulate(x[split..], y[split..]);
        return stats;
    }

    /// <summary>Textbook OLS of one column: a = sum (x - mx)(y - my) / sum (x - mx)^2.</summary>
    private static (double A, double B) Ols(double[,] x, double[,] y, int j)
    {
        double mx = 0, my = 0, sxy = 0, sxx = 0;
        for (var n = 0; n < N; n++) { mx += x[n, j] / N; my += y[n, j] / N; }
        for (var n = 0; n < N; n++) { sxy += (x[n, j] - mx) * (y[n, j] - my); sxx += (x[n, j] - mx) * (x[n, j] - mx); }
        return (sxy / sxx, my - sxy / sxx * mx);
    }

    private static double Mean(double[,] m, int j) => Enumerable.Range(0, N).Average(n => m[n, j]);

    [Fact]
    public void Regression_matches_textbook_least_squares_and_uses_unit_scale_where_x_is_constant()
    {
        var data = Data(1);
        using var stats = Stats(data);
        using var fit = LinearRecovery.Fit(stats);
        var a = Values(fit.Scale);
        var b = Values(fit.Bias);
        for (var j = 0; j < 2; j++)
        {
            var (ea, eb) = Ols(data.X, data.Y, j);
            Assert.Equal(ea, a[j], 1e-12);
            Assert.Equal(eb, b[j], 1e-12);
        }
        Assert.Equal(1.0, a[2]);
        Assert.Equal(Mean(data.Y, 2) - 3.0, b[2], 1e-12);
        Assert.InRange(a[0], 1.8, 2.2); // the planted slope
    }

    [Fact]
    public void Mean_bias_adds_the_mean_difference_with_unit_scale()
    {
        var data = Data(2);
        using var stats = Stats(data);
        using var fit = LinearRecovery.Fit(stats, RecoveryMethod.MeanBias);
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, Values(fit.Scale));
        AllClose(Enumerable.Range(0, D).Select(j => Mean(data.Y, j) - Mean(data.X, j)).ToArray(), Values(fit.Bias), 1e-12);
    }

    [Fact]
    public void Ridge_minimises_the_penalised_squared_error()
    {
        var data = Data(3);
        using var stats = Stats(data);
        const double lambda = 0.7;
        using var fit = LinearRecovery.Fit(stats, RecoveryMethod.Ridge, lambda);
        var a = Values(fit.Scale);
        var b = Values(fit.Bias);
        for (var j = 0; j < 2; j++)
        {
            var mx = Mean(data.X, j);
            var varX = Enumerable.Range(0, N).Average(n => Math.Pow(data.X[n, j] - mx, 2));
            double Objective(double sa, double sb) =>
                Enumerable.Range(0, N).Sum(n => Math.Pow(data.Y[n, j] - sa * data.X[n, j] - sb, 2)) + lambda * N * varX * Math.Pow(sa - 1, 2);
            var best = Objective(a[j], b[j]);
            foreach (var (da, db) in new[] { (1e-4, 0.0), (-1e-4, 0.0), (0.0, 1e-4), (0.0, -1e-4), (1e-4, -1e-4) })
                Assert.True(Objective(a[j] + da, b[j] + db) > best, $"dim {j}: ({da}, {db}) does better");
            var (ols, _) = Ols(data.X, data.Y, j);
            Assert.Equal((ols + lambda) / (1 + lambda), a[j], 1e-12);
        }
        Assert.Equal(1.0, a[2]);
    }

    [Fact]
    public void Squared_error_from_statistics_equals_the_residual_sum_and_the_ridge_choice_is_the_held_out_minimum()
    {
        var fitData = Data(4);
        var heldData = Data(5);
        using var fitStats = Stats(fitData);
        using var heldStats = Stats(heldData, split: 6);
        var grid = new[] { 0.0, 0.5, 2.0, 50.0 };
        var expectedErrors = grid.Select(lambda =>
        {
            using var fit = LinearRecovery.Fit(fitStats, RecoveryMethod.Ridge, lambda);
            double[] a = Values(fit.Scale), b = Values(fit.Bias);
            var direct = 0.0;
            for (var n = 0; n < N; n++)
                for (var j = 0; j < D; j++) direct += Math.Pow(heldData.Y[n, j] - a[j] * heldData.X[n, j] - b[j], 2);
            return direct;
        }).ToArray();

        var choice = LinearRecovery.ChooseRidgeStrength(fitStats, heldStats, grid);
        AllClose(expectedErrors, choice.HeldOutErrors.ToArray(), 1e-10);
        Assert.Equal(grid[Array.IndexOf(expectedErrors, expectedErrors.Min())], choice.Strength);
        Assert.Equal(grid, choice.Grid);
    }

    [Fact]
    public void Folding_scales_kept_columns_and_adds_the_existing_bias_unscaled()
    {
        var w = Random(41, D, 5).to(ScalarType.Float32);
        var bias0 = tensor(new[] { 0.5, -1.0, 2.0 }, ScalarType.Float32);
        var kept = tensor(new long[] { 0, 2, 4 });
        using var fit = new ScaleBias(tensor(new[] { 1.5, -0.5, 2.0 }), tensor(new[] { 0.1, 0.2, 0.3 }));
        using var folded = LinearRecovery.Fold(w, kept, fit, bias0);
        Assert.Equal(ScalarType.Float32, folded.Weight.dtype);
        Assert.Equal(new long[] { D, 3 }, folded.Weight.shape);

        // The folded layer on any input equals a * W_kept u + b + b0 (the fit is made on outputs without b0).
        var u = Random(42, 4, 3).to(ScalarType.Float32);
        var foldedOut = Matrix(u.matmul(folded.Weight.t()) + folded.Bias);
        double[,] wm = Matrix(w), um = Matrix(u);
        double[] a = { 1.5, -0.5, 2.0 }, b = { 0.1, 0.2, 0.3 }, b0 = { 0.5, -1.0, 2.0 };
        int[] cols = { 0, 2, 4 };
        for (var n = 0; n < 4; n++)
            for (var j = 0; j < D; j++)
            {
                var keptOut = 0.0;
                for (var c = 0; c < 3; c++) keptOut += wm[j, cols[c]] * um[n, c];
                Assert.Equal(a[j] * keptOut + b[j] + b0[j], foldedOut[n, j], 1e-5);
            }
    }

    [Fact]
    public void Statistics_round_trip_through_plain_tensors()
    {
        using var stats = Stats(Data(6));
        var tensors = stats.ToTensors();
        Assert.Equal(new[] { "count", "sum_x", "sum_xx", "sum_xy", "sum_y", "sum_yy" }, tensors.Keys.Order());
        using var restored = PerDimRegressionStats.FromTensors(tensors, "cache.safetensors");
        using var a = LinearRecovery.Fit(stats);
        using var b = LinearRecovery.Fit(restored);
        Assert.Equal(Values(a.Scale), Values(b.Scale));
        Assert.Equal(Values(a.Bias), Values(b.Bias));
        Assert.Equal(7L, restored.Count);
    }

    private static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();
}
