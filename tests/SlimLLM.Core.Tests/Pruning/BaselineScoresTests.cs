using SlimLLM.Pruning.Baselines;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

/// <summary>Baseline unit scores against element-by-element loops on a small GQA block (H = 4, G = 2, h = 2, d = 3) and FFN (m = 5).</summary>
public class BaselineScoresTests
{
    private const int Heads = 4, Groups = 2, HeadDim = 2, Hidden = 3, Channels = 5;

    private static readonly AttentionWeights Attention = new(
        Q: Random(61, Heads * HeadDim, Hidden), K: Random(62, Groups * HeadDim, Hidden).to(ScalarType.Float32),
        V: Random(63, Groups * HeadDim, Hidden), O: Random(64, Hidden, Heads * HeadDim), Groups: Groups);

    private static readonly FfnWeights Ffn = new(Random(65, Channels, Hidden), Random(66, Channels, Hidden), Random(67, Hidden, Channels));

    /// <summary>Sums f(W, row) over group g's q rows (width 4), k and v rows (width 2), and f over its o columns.</summary>
    private static double[] PerGroup(Func<double[,], int, double> row, Func<double[,], int, double> column)
    {
        double[,] q = Matrix(Attention.Q), k = Matrix(Attention.K), v = Matrix(Attention.V), o = Matrix(Attention.O);
        var result = new double[Groups];
        for (var g = 0; g < Groups; g++)
        {
            for (var r = g * 4; r < g * 4 + 4; r++) result[g] += row(q, r) + column(o, r);
            for (var r = g * 2; r < g * 2 + 2; r++) result[g] += row(k, r) + row(v, r);
        }
        return result;
    }

    private static double RowSum(double[,] w, int r, Func<double, int, double> f) => Enumerable.Range(0, w.GetLength(1)).Sum(c => f(w[r, c], c));
    private static double ColumnSum(double[,] w, int c, Func<double, double> f) => Enumerable.Range(0, w.GetLength(0)).Sum(j => f(w[j, c]));

    [Fact]
    public void Magnitude_is_the_L2_norm_of_all_a_units_weights()
    {
        var expected = PerGroup((w, r) => RowSum(w, r, (x, _) => x * x), (w, c) => ColumnSum(w, c, x => x * x)).Select(Math.Sqrt).ToArray();
        AllClose(expected, Values(MagnitudeScores.KvGroups(Attention)), 1e-12);

        double[,] g = Matrix(Ffn.Gate), u = Matrix(Ffn.Up), d = Matrix(Ffn.Down);
        var ffnExpected = Enumerable.Range(0, Channels).Select(c =>
            Math.Sqrt(RowSum(g, c, (x, _) => x * x) + RowSum(u, c, (x, _) => x * x) + ColumnSum(d, c, x => x * x))).ToArray();
        AllClose(ffnExpected, Values(MagnitudeScores.FfnChannels(Ffn)), 1e-12);
    }

    [Fact]
    public void Wanda_sp_weighs_each_weight_by_the_norm_of_its_input()
    {
        var nIn = Random(71, Hidden).abs();
        var nX = Random(72, Heads * HeadDim).abs();
        double[] ni = Values(nIn), nx = Values(nX);
        var expected = PerGroup((w, r) => RowSum(w, r, (x, c) => Math.Abs(x) * ni[c]), (w, c) => ColumnSum(w, c, x => Math.Abs(x) * nx[c]));
        AllClose(expected, Values(WandaSpScores.KvGroups(Attention, nIn, nX)), 1e-12);

        var nA = Random(73, Channels).abs();
        double[] na = Values(nA);
        double[,] g = Matrix(Ffn.Gate), u = Matrix(Ffn.Up), d = Matrix(Ffn.Down);
        var ffnExpected = Enumerable.Range(0, Channels).Select(c =>
            RowSum(g, c, (x, k) => Math.Abs(x) * ni[k]) + RowSum(u, c, (x, k) => Math.Abs(x) * ni[k]) + ColumnSum(d, c, x => Math.Abs(x) * na[c])).ToArray();
        AllClose(ffnExpected, Values(WandaSpScores.FfnChannels(Ffn, nIn, nA)), 1e-12);
    }

    [Fact]
    public void Flap_is_input_variance_times_squared_output_column_norm()
    {
        var varX = Random(81, Heads * HeadDim).abs();
        double[] vx = Values(varX);
        var expected = PerGroup((_, _) => 0, (w, c) => vx[c] * ColumnSum(w, c, x => x * x));
        AllClose(expected, Values(FlapScores.KvGroups(Attention, varX)), 1e-12);

        var varA = Random(82, Channels).abs();
        double[] va = Values(varA);
        double[,] d = Matrix(Ffn.Down);
        AllClose(Enumerable.Range(0, Channels).Select(c => va[c] * ColumnSum(d, c, x => x * x)).ToArray(),
            Values(FlapScores.FfnChannels(Ffn, varA)), 1e-12);
    }

    [Fact]
    public void Inconsistent_weights_are_rejected()
    {
        var bad = Attention with { O = Random(1, Hidden, 6) };
        var error = Assert.Throws<ArgumentException>(() => MagnitudeScores.KvGroups(bad));
        Assert.StartsWith("Inconsistent attention weights for 2 groups: q [8, 3], k [4, 3], v [4, 3], o [3, 6]", error.Message);
    }
}
