using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Engine;

public class FfnRecoveryFitTests
{
    [Fact]
    public void Down_proj_recovery_is_the_per_dimension_least_squares_fit_of_the_pruned_output_to_the_dense_output()
    {
        const int m = 6, d = 3;
        long[] kept = [0, 2, 3, 5];
        var wDown = Random(3, d, m);
        var batches = new[] { Random(4, 2, 5, m), Random(5, 1, 7, m) };                    // b x s x m activations
        var outputs = batches.Select(a => a.matmul(wDown.t())).ToList();                 // dense y = a W^T
        using var acts = new FfnActivations(new BatchTensors(batches.ToList()), new BatchTensors(outputs));
        var (fit, ridge) = LayerStatisticsComputer.FitFfnRecovery(acts, wDown, kept, fitBatches: 2, new RegressionRecovery());
        Assert.Null(ridge);

        // Explicit: x = a[:, K] W[:, K]^T, then per dimension slope = cov(x, y) / var(x), bias = mean(y) - slope mean(x).
        var a = Matrix(cat(batches.Select(b => b.reshape(-1, m)).ToArray(), 0));
        var w = Matrix(wDown);
        int n = a.GetLength(0);
        for (int j = 0; j < d; j++)
        {
            var x = new double[n];
            var y = new double[n];
            for (int t = 0; t < n; t++)
            {
                for (int c = 0; c < m; c++) y[t] += a[t, c] * w[j, c];
                foreach (var c in kept) x[t] += a[t, c] * w[j, c];
            }
            double mx = x.Average(), my = y.Average();
            double cov = x.Zip(y, (p, q) => (p - mx) * (q - my)).Sum() / n, varX = x.Sum(p => (p - mx) * (p - mx)) / n;
            Assert.Equal(cov / varX, Values(fit.Scale)[j], 1e-9);
            Assert.Equal(my - cov / varX * mx, Values(fit.Bias)[j], 1e-9);
        }
    }

    [Fact]
    public void Ridge_holds_out_the_batches_after_the_fit_batches_to_choose_its_strength()
    {
        const int m = 4, d = 2;
        var wDown = Random(6, d, m);
        var batches = new[] { Random(7, 1, 9, m), Random(8, 1, 9, m), Random(9, 1, 9, m) };
        using var acts = new FfnActivations(new BatchTensors(batches.ToList()), new BatchTensors(batches.Select(b => b.matmul(wDown.t())).ToList()));
        var (_, ridge) = LayerStatisticsComputer.FitFfnRecovery(acts, wDown, [1, 3], fitBatches: 2, new RidgeRecovery());
        Assert.NotNull(ridge);
        Assert.Contains(ridge!.Value, LinearRecovery.DefaultRidgeGrid);
        // Without held-out batches ridge falls back to plain regression (no strength can be chosen).
        var (_, none) = LayerStatisticsComputer.FitFfnRecovery(acts, wDown, [1, 3], fitBatches: 3, new RidgeRecovery());
        Assert.Null(none);
    }
}
