using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Streaming per-channel moments of an activation over tokens: count N, sum and sum of squares per channel, float64.
/// Gives the L2 norms over tokens (SlimLLM's n_in and n_a, Wanda-sp's input norms) and the variances (FLAP's fluctuation).
/// </summary>
public sealed class ChannelMomentStats : IDisposable
{
    private const string Kind = "channel moment";

    private ChannelMomentStats(int channels, long count, Tensor sum, Tensor sumSquares)
    {
        Channels = channels;
        Count = count;
        Sum = sum;
        SumSquares = sumSquares;
    }

    public ChannelMomentStats(int channels, Device? device = null)
        : this(channels, 0, StatsTensors.NewState(new long[] { channels }, device), StatsTensors.NewState(new long[] { channels }, device))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
    }

    public int Channels { get; }
    public long Count { get; private set; }
    /// <summary>Per-channel sums, float64. Owned by this object.</summary>
    public Tensor Sum { get; }
    /// <summary>Per-channel sums of squares, float64. Owned by this object.</summary>
    public Tensor SumSquares { get; }

    /// <summary>Adds a batch of activations, n x c or b x s x c (any floating dtype; upcast to float64).</summary>
    public void Accumulate(Tensor x)
    {
        if (x.dim() < 1 || x.shape[^1] != Channels)
            throw new ArgumentException($"Activations must end in {Channels} channels, got [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        var t = StatsTensors.AsDouble(x, Sum.device).reshape(-1, Channels);
        Sum.add_(t.sum(dim: 0));
        SumSquares.add_(t.square().sum(dim: 0));
        Count += t.shape[0];
    }

    /// <summary>L2 norm over tokens per channel: sqrt(sum_n x[n,c]^2).</summary>
    public Tensor Norms() => SumSquares.sqrt();

    public Tensor Means()
    {
        RequireTokens();
        return Sum / Count;
    }

    /// <summary>
    /// Population variance per channel. A variance at or below 1e-12 of the channel's mean square is returned as exactly 0
    /// (it is rounding noise of the raw moments, and below the resolution of float32 activations), and never negative.
    /// </summary>
    public Tensor Variances()
    {
        RequireTokens();
        using var scope = NewDisposeScope();
        var meanSquare = SumSquares / Count;
        var mean = Sum / Count;
        var variance = meanSquare - mean.square();
        return where(variance > StatsTensors.RelativeZeroVariance * meanSquare, variance, zeros_like(variance)).MoveToOuterDisposeScope();
    }

    /// <summary>Plain tensors for a cache: "count" (int64 [1]), "sum" (c), "sumsq" (c). The caller owns them.</summary>
    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["count"] = StatsTensors.CountTensor(Count),
        ["sum"] = Sum.clone(),
        ["sumsq"] = SumSquares.clone(),
    };

    /// <param name="device">Where the statistics are rebuilt (the compute device); null: where the tensors are.</param>
    public static ChannelMomentStats FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string source, Device? device = null)
    {
        var c = StatsTensors.ShapeOf(tensors, "sum", 1, source, Kind)[0];
        var count = StatsTensors.ReadCount(tensors, "count", source, Kind);
        var sum = StatsTensors.ReadState(tensors, "sum", new[] { c }, source, Kind, device);
        var sumSquares = StatsTensors.ReadState(tensors, "sumsq", new[] { c }, source, Kind, sum.device);
        return new ChannelMomentStats((int)c, count, sum, sumSquares);
    }

    private void RequireTokens()
    {
        if (Count == 0) throw new InvalidOperationException("No tokens have been accumulated.");
    }

    public void Dispose()
    {
        Sum.Dispose();
        SumSquares.Dispose();
    }
}
