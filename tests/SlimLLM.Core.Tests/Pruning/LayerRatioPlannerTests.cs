using SlimLLM.Errors;
using Xunit.Abstractions;
using SlimLLM.Pruning.Ratios;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

public class LayerRatioPlannerTests(ITestOutputHelper output)
{
    private static readonly LayerShape Llama7B = new(Hidden: 4096, Heads: 32, KvHeads: 32, HeadDim: 128, Ffn: 11008);

    // Made-up but plausible: early layers change the hidden state most, the last layer a lot; all values distinct.
    private static readonly double[] Similarities = Enumerable.Range(0, 32)
        .Select(l => 0.9 - 0.25 * Math.Exp(-l / 3.0) - (l == 31 ? 0.15 : 0) + 0.001 * l).ToArray();

    private static int[] LeastSimilar(int count) => Enumerable.Range(0, 32).OrderBy(l => Similarities[l]).Take(count).Order().ToArray();

    [Fact]
    public void Paper_setting_prunes_the_most_similar_layers_with_softmax_ratios_averaging_R()
    {
        var plan = LayerRatioPlanner.Plan(Similarities, new LayerRatioSettings(0.25, 26, 10));
        var zero = Enumerable.Range(0, 32).Where(l => plan.Ratios[l] == 0).ToArray();
        Assert.Equal(LeastSimilar(6), zero);
        Assert.Equal(26, plan.PrunedLayers.Count);
        Assert.Equal(0.25, plan.MeanPrunedRatio, 1e-12);
        Assert.DoesNotContain(true, plan.Clipped);

        var pruned = Enumerable.Range(0, 32).Except(zero).ToArray();
        var denominator = pruned.Sum(l => Math.Exp(10 * Similarities[l]));
        foreach (var l in pruned)
            Assert.Equal(0.25 * 26 * Math.Exp(10 * Similarities[l]) / denominator, plan.Ratios[l], 1e-12);
        Assert.Equal(pruned.MaxBy(l => Similarities[l]), plan.PrunedLayers[0]);
    }

    [Fact]
    public void Ratios_above_the_cap_are_clipped_and_the_excess_spread_in_proportion()
    {
        var plan = LayerRatioPlanner.Plan(Similarities, new LayerRatioSettings(0.55, 30, 40));
        var clipped = Enumerable.Range(0, 32).Where(l => plan.Clipped[l]).ToArray();
        Assert.NotEmpty(clipped);
        Assert.All(clipped, l => Assert.Equal(0.9, plan.Ratios[l]));
        Assert.All(plan.Ratios, r => Assert.InRange(r, 0, 0.9));
        Assert.Equal(0.55, plan.MeanPrunedRatio, 1e-12);
        Assert.Equal(0.55 * 30, plan.Ratios.Sum(), 1e-10);

        // Clipped layers are the most similar ones; the others keep the softmax proportions among themselves.
        var free = plan.PrunedLayers.Where(l => !plan.Clipped[l]).ToArray();
        Assert.True(clipped.Min(l => Similarities[l]) > free.Max(l => Similarities[l]));
        for (var i = 1; i < free.Length; i++)
            Assert.Equal(Math.Exp(40 * (Similarities[free[i]] - Similarities[free[0]])), plan.Ratios[free[i]] / plan.Ratios[free[0]], 1e-9);
    }

    [Fact]
    public void A_mean_ratio_above_the_cap_is_a_clear_settings_error()
    {
        var error = Assert.Throws<SlimLLMException>(() => LayerRatioPlanner.Plan(Similarities, new LayerRatioSettings(0.95, 30, 7), "prune.yaml"));
        Assert.Equal("prune.yaml: The mean pruning ratio 0.95 exceeds the maximum per-layer ratio 0.9, so no per-layer ratios can average to it. Lower the pruning ratio, prune more layers at a lower ratio, or raise the maximum per-layer ratio.", error.Message);
        var layers = Assert.Throws<SlimLLMException>(() => LayerRatioPlanner.Plan(Similarities, new LayerRatioSettings(0.2, 33, 7), "prune.yaml"));
        Assert.Equal("prune.yaml: pruned_layers is 33, but the model has 32 layers. Set pruned_layers between 0 and 32.", layers.Message);
    }

    [Fact]
    public void Layer_parameter_accounting_matches_hand_counts()
    {
        Assert.Equal(202_383_360L, Llama7B.DenseParameters);
        // 8 heads and 2752 channels removed: q,k,v,o at 24 heads, FFN at 8256, plus the two recovery biases.
        Assert.Equal(4L * 4096 * 24 * 128 + 4096 + 3L * 4096 * 8256 + 4096 + 2 * 4096, Llama7B.ParametersAfter(8, 2752));
        Assert.Equal((8, 2752), Llama7B.PrunedCounts(0.25));

        var gqa = new LayerShape(Hidden: 128, Heads: 8, KvHeads: 4, HeadDim: 16, Ffn: 384);
        Assert.Equal(196_864L, gqa.DenseParameters);
        // One KV group = 2 query heads + 1 KV head: q and o lose 128*32 each, k and v 128*16 each; o_proj gains a bias.
        Assert.Equal(196_864L - 2 * 128 * 32 - 2 * 128 * 16 + 128, gqa.ParametersAfter(1, 0));
        Assert.Throws<ArgumentException>(() => new LayerShape(128, 8, 3, 16, 384));
    }

    [Fact]
    public void Solving_R_for_a_parameter_target_lands_within_one_head_of_it()
    {
        var shapes = Enumerable.Repeat(Llama7B, 32).ToArray();
        var solution = LayerRatioPlanner.SolveForParameterFraction(Similarities, shapes, 0.20, prunedLayers: 26, alpha: 10);

        output.WriteLine($"target 0.20: R = {solution.MeanRatio:R}, achieved {solution.AchievedFraction:R}, removed {solution.ParametersRemoved}");
        var dense = 32 * Llama7B.DenseParameters;
        var removed = Enumerable.Range(0, 32).Sum(l =>
        {
            var r = solution.Plan.Ratios[l];
            if (r == 0) return 0L;
            var heads = (int)Math.Round(r * 32, MidpointRounding.ToEven);
            var channels = Math.Min((int)Math.Round(r * 11008, MidpointRounding.ToEven), 11008 - 110);
            return Llama7B.DenseParameters - Llama7B.ParametersAfter(heads, channels);
        });
        Assert.Equal(removed, solution.ParametersRemoved);
        Assert.Equal((double)removed / dense, solution.AchievedFraction, 1e-15);
        Assert.Equal(0.20, solution.TargetFraction);
        // One head of one layer is 2,097,152 parameters, 3.2e-4 of the decoder layers.
        Assert.InRange(Math.Abs(solution.AchievedFraction - 0.20), 0, 3.3e-4);
        Assert.Equal(solution.MeanRatio, solution.Plan.MeanPrunedRatio, 1e-12);
        Assert.InRange(solution.MeanRatio, 0.23, 0.26); // the paper's R = 0.25, P = 26 is "about 20%"

        var tooMuch = Assert.Throws<SlimLLMException>(() => LayerRatioPlanner.SolveForParameterFraction(Similarities, shapes, 0.8, 26, 10, source: "prune.yaml"));
        output.WriteLine(tooMuch.Message);
        Assert.StartsWith("prune.yaml: Cannot remove 80.0% of the decoder-layer parameters: pruning 26 of 32 layers at most 90% each removes ", tooMuch.Message);
    }

    [Fact]
    public void Layer_similarity_is_the_mean_token_cosine_and_streams()
    {
        var a = Random(51, 6, 4);
        var b = Random(52, 6, 4).to(ScalarType.Float32);
        double[,] am = Matrix(a), bm = Matrix(b);
        var expected = Enumerable.Range(0, 6).Average(n =>
        {
            double dot = 0, na = 0, nb = 0;
            for (var j = 0; j < 4; j++) { dot += am[n, j] * bm[n, j]; na += am[n, j] * am[n, j]; nb += bm[n, j] * bm[n, j]; }
            return dot / Math.Sqrt(na * nb);
        });
        Assert.Equal(expected, LayerSimilarity.MeanCosine(a, b), 1e-12);

        var accumulator = new LayerSimilarityAccumulator();
        accumulator.Accumulate(a[..2], b[..2]);
        accumulator.Accumulate(a[2..].unsqueeze(0), b[2..].unsqueeze(0));
        Assert.Equal(6L, accumulator.Count);
        Assert.Equal(expected, accumulator.Mean, 1e-12);
    }
}
