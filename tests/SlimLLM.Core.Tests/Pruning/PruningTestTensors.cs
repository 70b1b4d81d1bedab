using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Pruning;

/// <summary>Small deterministic float64 tensors and element access for hand-checked pruning tests.</summary>
internal static class PruningTestTensors
{
    /// <summary>Uniform values in [-1, 1) from a seeded System.Random, row-major.</summary>
    public static double[] RandomValues(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();
    }

    public static Tensor Random(int seed, params long[] shape) =>
        tensor(RandomValues(seed, (int)shape.Aggregate(1L, (a, b) => a * b)), shape, ScalarType.Float64);

    public static double[] Values(Tensor t) => t.to(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static double[,] Matrix(Tensor t)
    {
        var v = Values(t);
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var m = new double[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) m[i, j] = v[i * cols + j];
        return m;
    }

    public static void AllClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"index {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
