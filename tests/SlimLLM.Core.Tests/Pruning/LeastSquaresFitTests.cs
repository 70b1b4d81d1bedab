using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class LeastSquaresFitTests
{
    private static KeptInputGram Gram(Tensor x, Tensor y, int split)
    {
        var g = new KeptInputGram((int)x.shape[1], (int)y.shape[1]);
        g.Accumulate(x[..split], y[..split]);
        g.Accumulate(x[split..], y[split..]);
        return g;
    }

    // Five tokens of two inputs; outputs exactly y = W x + b with W = [[2, -1], [0.5, 3]], b = [1, -2].
    private static readonly double[] WorkedX = [1, 0, 0, 1, 1, 1, 2, -1, -1, 3];
    private static readonly double[] WorkedW = [2, -1, 0.5, 3];
    private static readonly double[] WorkedB = [1, -2];

    private static (Tensor X, Tensor Y) Worked()
    {
        var x = tensor(WorkedX, [5, 2], ScalarType.Float64);
        var w = tensor(WorkedW, [2, 2], ScalarType.Float64);
        var b = tensor(WorkedB, [2], ScalarType.Float64);
        return (x, x.matmul(w.t()) + b);
    }

    [Fact]
    public void Without_damping_an_exact_linear_map_is_recovered_exactly()
    {
        var (x, y) = Worked();
        using var stats = Gram(x, y, 2);
        using var fit = LeastSquaresFit.Solve(stats, 0);
        AllClose(WorkedW, Values(fit.Weight), 1e-10);
        AllClose(WorkedB, Values(fit.Bias), 1e-10);
        Assert.Equal(0, LeastSquaresFit.SquaredError(stats, fit), 1e-9);
    }

    [Fact]
    public void Damping_shrinks_the_slope_by_one_plus_the_relative_damping_on_a_single_input()
    {
        // One input: C is 1 x 1, lambda = damping * C, so W' = Cxy / (C + damping C) = W_ols / (1 + damping); b' = mean y - W' mean x.
        var x = tensor(new double[] { 0, 1, 2, 3 }, [4, 1], ScalarType.Float64);
        var y = 4 * x + 1;
        using var stats = Gram(x, y, 1);
        foreach (var damping in new[] { 0.0, 0.25, 1.0, 3.0 })
        {
            using var fit = LeastSquaresFit.Solve(stats, damping);
            double slope = 4 / (1 + damping);
            Assert.Equal(slope, Values(fit.Weight)[0], 1e-12);
            Assert.Equal(7 - slope * 1.5, Values(fit.Bias)[0], 1e-12);
        }
    }

    [Fact]
    public void More_damping_gives_a_smaller_weight_and_a_larger_error_on_the_data_it_was_fitted_on()
    {
        var (x, y) = Worked();
        using var stats = Gram(x, y, 3);
        double lastNorm = double.MaxValue, lastError = -1;
        foreach (var damping in new[] { 0.0, 0.01, 0.1, 1.0, 10.0 })
        {
            using var fit = LeastSquaresFit.Solve(stats, damping);
            double norm = fit.Weight.norm().item<double>(), error = LeastSquaresFit.SquaredError(stats, fit);
            Assert.True(norm < lastNorm, $"damping {damping}: |W'| {norm} did not shrink from {lastNorm}");
            Assert.True(error > lastError, $"damping {damping}: error {error} did not grow from {lastError}");
            (lastNorm, lastError) = (norm, error);
        }
    }

    [Fact]
    public void Vanishing_damping_on_full_rank_inputs_is_ordinary_least_squares()
    {
        using var x = Random(3, 60, 6) + 0.5;        // an offset, so the intercept matters
        using var y = Random(4, 60, 4) + x[.., ..4] * 2;
        using var stats = Gram(x, y, 25);
        using var fit = LeastSquaresFit.Solve(stats, 1e-13);
        // An independent solve: lstsq of [X, 1] against Y.
        using var design = cat([x, ones(60, 1, ScalarType.Float64)], 1);
        var (solution, _, _, _) = linalg.lstsq(design, y);
        AllClose(Values(solution[..6].t().contiguous()), Values(fit.Weight), 1e-9);
        AllClose(Values(solution[6]), Values(fit.Bias), 1e-9);
    }

    [Fact]
    public void The_squared_error_from_the_statistics_equals_the_residuals_summed_directly()
    {
        using var x = Random(5, 40, 5);
        using var y = Random(6, 40, 3);
        using var stats = Gram(x, y, 17);
        using var fit = LeastSquaresFit.Solve(stats, 0.1);
        double direct = (y - x.matmul(fit.Weight.t()) - fit.Bias).square().sum().item<double>();
        Assert.Equal(direct, LeastSquaresFit.SquaredError(stats, fit), direct * 1e-10);
    }

    [Fact]
    public void Rank_deficient_inputs_without_damping_still_give_a_finite_fit_that_reproduces_the_outputs()
    {
        // The second input is twice the first: C is singular; lambda is raised until the factorisation succeeds.
        using var first = Random(7, 20, 1);
        using var x = cat([first, 2 * first], 1);
        using var y = 3 * first + 1;
        using var stats = Gram(x, y, 10);
        using var fit = LeastSquaresFit.Solve(stats, 0);
        Assert.All(Values(fit.Weight), v => Assert.True(double.IsFinite(v)));
        Assert.True(LeastSquaresFit.SquaredError(stats, fit) < 1e-6 * y.square().sum().item<double>());
    }

    [Fact]
    public void The_chosen_damping_has_the_smallest_held_out_error_and_noise_free_data_chooses_the_smallest()
    {
        var (x, y) = Worked();
        using var fitStats = Gram(x, y, 2);
        using var held = Gram(x, y, 3);
        var choice = LeastSquaresFit.Choose(fitStats, held);
        Assert.Equal(LeastSquaresFit.DefaultDampingGrid[0], choice.Strength);
        Assert.Equal(choice.HeldOutErrors.Min(), choice.HeldOutErrors[0]);

        // Many noisy inputs, few tokens: the undamped fit overfits and a larger damping wins on fresh tokens.
        using var xs = Random(8, 30, 12);
        using var ys = xs[.., ..1] + 2 * Random(9, 30, 1);
        using var xh = Random(10, 200, 12);
        using var yh = xh[.., ..1] + 2 * Random(11, 200, 1);
        using var noisy = Gram(xs, ys, 10);
        using var fresh = Gram(xh, yh, 100);
        var noisyChoice = LeastSquaresFit.Choose(noisy, fresh);
        Assert.True(noisyChoice.Strength > LeastSquaresFit.DefaultDampingGrid[0], $"chose {noisyChoice.Strength}");
        Assert.Equal(noisyChoice.HeldOutErrors.Min(), noisyChoice.HeldOutErrors[LeastSquaresFit.DefaultDampingGrid.ToList().IndexOf(noisyChoice.Strength)]);
    }

    [Fact]
    public void Folding_a_refit_replaces_the_kept_columns_and_adds_the_existing_bias()
    {
        using var weight = Random(12, 3, 5).to(ScalarType.Float32);
        using var kept = tensor(new long[] { 4, 1 });
        using var refit = new RefittedLinear(tensor(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2], ScalarType.Float64), tensor(new double[] { 0.5, 0, -1 }, [3], ScalarType.Float64));
        using var existing = tensor(new float[] { 1, 1, 1 });
        using var folded = refit.Fold(weight, kept, existing);
        Assert.Equal(ScalarType.Float32, folded.Weight.dtype);
        AllClose([1, 2, 3, 4, 5, 6], Values(folded.Weight), 1e-7);
        AllClose([1.5, 1, 0], Values(folded.Bias), 1e-7);
    }
}
