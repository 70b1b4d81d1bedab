using SlimLLM.Pruning.Recovery;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Ratio-independent moments for the down_proj recovery: from the activations a (n x m) and the dense FFN output y (n x d),
/// the count, sum a, sum y, sum y^2, the Gram matrix A^T A (m x m) and A^T Y (m x d), float64. For any kept channel set K the
/// regression statistics of x = a[:, K] W_down[:, K]^T against y follow without touching the model again.
/// </summary>
public sealed class FfnRegressionMoments : IDisposable
{
    private const string Kind = "FFN regression moment";

    private FfnRegressionMoments(long count, Tensor sumA, Tensor sumY, Tensor sumYY, Tensor gram, Tensor cross)
    {
        Count = count; SumA = sumA; SumY = sumY; SumYY = sumYY; Gram = gram; Cross = cross;
    }

    public FfnRegressionMoments(int channels, int hidden, Device? device = null)
        : this(0, StatsTensors.NewState([channels], device), StatsTensors.NewState([hidden], device), StatsTensors.NewState([hidden], device),
               StatsTensors.NewState([channels, channels], device), StatsTensors.NewState([channels, hidden], device)) { }

    public long Count { get; private set; }
    public Tensor SumA { get; }
    public Tensor SumY { get; }
    public Tensor SumYY { get; }
    public Tensor Gram { get; }
    public Tensor Cross { get; }

    /// <summary>Bytes these moments take (the Gram matrix dominates: 8 m^2).</summary>
    public static long SizeBytes(long channels, long hidden) => 8 * (channels * channels + channels * hidden + channels + 2 * hidden);

    public void Accumulate(Tensor a, Tensor y)
    {
        using var scope = NewDisposeScope();
        var ad = StatsTensors.AsDouble(a, SumA.device).reshape(-1, SumA.shape[0]);
        var yd = StatsTensors.AsDouble(y, SumA.device).reshape(-1, SumY.shape[0]);
        SumA.add_(ad.sum(dim: 0));
        SumY.add_(yd.sum(dim: 0));
        SumYY.add_(yd.square().sum(dim: 0));
        Gram.add_(ad.t().matmul(ad));
        Cross.add_(ad.t().matmul(yd));
        Count += ad.shape[0];
    }

    /// <summary>Regression statistics of x = a[:, kept] W_down[:, kept]^T (per output dim) against y.</summary>
    public PerDimRegressionStats RegressionStats(long[] kept, Tensor wDown)
    {
        using var scope = NewDisposeScope();
        var idx = tensor(kept, ScalarType.Int64, SumA.device);
        var w = wDown.to(ScalarType.Float64, SumA.device).index_select(1, idx);          // d x k
        var sumX = w.matmul(SumA.index_select(0, idx));                                  // d
        var gramK = Gram.index_select(0, idx).index_select(1, idx);                      // k x k
        var sumXX = (w.matmul(gramK) * w).sum(dim: 1);                                   // d
        var sumXY = (w * Cross.index_select(0, idx).t()).sum(dim: 1);                    // d
        var stats = PerDimRegressionStats.FromSums(Count, sumX, SumY.clone(), sumXX, sumXY, SumYY.clone());
        return stats;
    }

    public static FfnRegressionMoments Sum(FfnRegressionMoments a, FfnRegressionMoments b) =>
        new(a.Count + b.Count, a.SumA + b.SumA, a.SumY + b.SumY, a.SumYY + b.SumYY, a.Gram + b.Gram, a.Cross + b.Cross);

    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["count"] = StatsTensors.CountTensor(Count),
        ["sum_a"] = SumA.clone(), ["sum_y"] = SumY.clone(), ["sum_yy"] = SumYY.clone(),
        ["gram"] = Gram.clone(), ["cross"] = Cross.clone(),
    };

    public static FfnRegressionMoments FromTensors(IReadOnlyDictionary<string, Tensor> t, string source)
    {
        var shape = StatsTensors.ShapeOf(t, "cross", 2, source, Kind);
        long m = shape[0], d = shape[1];
        return new FfnRegressionMoments(StatsTensors.ReadCount(t, "count", source, Kind),
            StatsTensors.ReadState(t, "sum_a", [m], source, Kind), StatsTensors.ReadState(t, "sum_y", [d], source, Kind),
            StatsTensors.ReadState(t, "sum_yy", [d], source, Kind), StatsTensors.ReadState(t, "gram", [m, m], source, Kind),
            StatsTensors.ReadState(t, "cross", [m, d], source, Kind));
    }

    public void Dispose()
    {
        SumA.Dispose(); SumY.Dispose(); SumYY.Dispose(); Gram.Dispose(); Cross.Dispose();
    }
}
