using SlimLLM.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Shared plumbing of the statistics accumulators: float64 state tensors that outlive dispose scopes,
/// and reading them back from a dictionary (a statistics cache) with errors that name the cache file.
/// </summary>
internal static class StatsTensors
{
    /// <summary>
    /// A variance at or below this fraction of the mean square is treated as exactly zero. Raw-moment variances carry a rounding
    /// error of a few ulps of the mean square, and calibration activations come from float32/bf16 data whose own resolution is far
    /// coarser (1e-7 relative), so a standard deviation below 1e-6 of the RMS carries no information.
    /// </summary>
    public const double RelativeZeroVariance = 1e-12;

    public static Tensor NewState(long[] shape, Device? device) =>
        zeros(shape, ScalarType.Float64, device ?? CPU).DetachFromDisposeScope();

    /// <summary>Upcasts to float64 on <paramref name="device"/> (a new tensor unless it already is one).</summary>
    public static Tensor AsDouble(Tensor t, Device device) => t.to(ScalarType.Float64, device);

    public static Tensor CountTensor(long count) => tensor(new[] { count }, ScalarType.Int64);

    public static long ReadCount(IReadOnlyDictionary<string, Tensor> tensors, string name, string source, string kind)
    {
        var t = Require(tensors, name, new long[] { 1 }, source, kind);
        using var onCpu = t.to(ScalarType.Int64, CPU);
        var count = onCpu.item<long>();
        if (count < 0)
            throw new SlimLLMException(source, $"The {kind} statistics hold a negative token count ({count}) in tensor '{name}'.", CacheFix);
        return count;
    }

    /// <summary>Returns a float64 copy of the named tensor, detached from any dispose scope, after checking its shape.</summary>
    public static Tensor ReadState(IReadOnlyDictionary<string, Tensor> tensors, string name, long[] shape, string source, string kind, Device? device = null)
    {
        var t = Require(tensors, name, shape, source, kind);
        return t.to(ScalarType.Float64, device ?? t.device, copy: true).DetachFromDisposeScope();
    }

    public static Tensor Require(IReadOnlyDictionary<string, Tensor> tensors, string name, long[]? shape, string source, string kind)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new SlimLLMException(source, $"The {kind} statistics lack the tensor '{name}'.", CacheFix);
        if (shape is not null && !t.shape.SequenceEqual(shape))
            throw new SlimLLMException(source,
                $"The {kind} statistics tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}].", CacheFix);
        return t;
    }

    public static long[] ShapeOf(IReadOnlyDictionary<string, Tensor> tensors, string name, int rank, string source, string kind)
    {
        var t = Require(tensors, name, null, source, kind);
        if (t.shape.Length != rank)
            throw new SlimLLMException(source,
                $"The {kind} statistics tensor '{name}' has {t.shape.Length} dimensions, expected {rank}.", CacheFix);
        return t.shape;
    }

    public const string CacheFix = "Delete the statistics cache file so that the statistics are recomputed from the calibration data.";
}
