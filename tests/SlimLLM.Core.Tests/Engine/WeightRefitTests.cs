using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Engine;

public class WeightRefitTests
{
    private static double Residual(Tensor x, Tensor y, FoldedLinear folded) =>
        (y - x.matmul(folded.Weight.t()) - folded.Bias).square().sum().item<double>();

    [Fact]
    public void Down_proj_refit_reconstructs_the_dense_output_better_than_the_per_dimension_regression()
    {
        const int m = 8, d = 3;
        long[] kept = [0, 2, 3, 5, 6];
        var wDown = Random(13, d, m);
        // Correlated channels (4 latent factors, a little noise): what the kept channels' correlations can restore.
        var mix = Random(20, 4, m);
        var batches = new[] { 14, 15, 16 }.Select(seed => Random(seed, 2, 20, 4).matmul(mix) + 0.05 * Random(seed + 10, 2, 20, m)).ToArray();
        using var acts = new FfnActivations(new BatchTensors(batches.ToList()), new BatchTensors(batches.Select(a => a.matmul(wDown.t())).ToList()));
        var (refit, damping) = WeightRefit.Ffn(acts, wDown, kept, fitBatches: 2, new LeastSquaresRecovery());
        var (scaled, _) = LayerStatisticsComputer.FitFfnRecovery(acts, wDown, kept, fitBatches: 2, new RegressionRecovery());
        Assert.Contains(damping!.Value, LeastSquaresFit.DefaultDampingGrid);

        using var keptIdx = tensor(kept);
        var a = cat(batches.Select(b => b.reshape(-1, m)).ToArray(), 0);
        var y = a.matmul(wDown.t());
        var x = a.index_select(1, keptIdx);
        using var byRefit = refit.Fold(wDown, keptIdx, null);
        using var byScale = scaled.Fold(wDown, keptIdx, null);
        double refitError = Residual(x, y, byRefit), scaleError = Residual(x, y, byScale);
        Assert.True(refitError < 0.1 * scaleError, $"refit {refitError}, per-dimension regression {scaleError}");
    }

    [Fact]
    public void O_proj_refit_reads_the_kept_head_columns_against_the_dense_o_proj_output()
    {
        // Two heads of width 2; the dense output is a linear map of head 1 only, so keeping head 1 reconstructs it exactly.
        const int heads = 2, hd = 2, d = 3;
        var wO = cat([zeros(d, hd, ScalarType.Float64), Random(17, d, hd)], 1);
        var batches = new[] { Random(18, 1, 30, heads, hd), Random(19, 1, 30, heads, hd) };
        using var headOutputs = new BatchTensors(batches.ToList());
        using var columns = tensor(new long[] { 2, 3 });
        var (fit, damping) = WeightRefit.Attention(headOutputs, wO, columns, fitBatches: 2, new LeastSquaresRecovery());
        Assert.Equal(LeastSquaresFit.DefaultDamping, damping);           // nothing held out: the default damping
        using (fit)
        {
            // With damping 1e-2 the refit is W_O's head-1 block shrunk by about 1 / (1 + 1e-2): within 2%, not equal.
            AllClose(Values(wO[.., 2..].contiguous()), Values(fit.Fold(wO, columns, null).Weight), 0.02);
        }
    }
}
