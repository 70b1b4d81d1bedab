using Xunit;

namespace SlimLLM.Testing;

/// <summary>
/// Relative comparisons for results computed in float32 by libtorch's CPU kernels. Which kernel runs (AVX2, AVX-512) and
/// how many threads split a reduction change the order of float32 additions, so the same model on the same text gives
/// perplexities that differ in the 7th or 8th significant digit from one machine to another (seen: 3.797332807 vs
/// 3.797332937, a relative difference of 3.4e-8). Decimal places that held on one CPU are therefore not a test.
/// </summary>
internal static class FloatTolerance
{
    /// <summary>
    /// A mean negative log-likelihood or a perplexity computed twice in float32 with a different batching, thread count or
    /// kernel. Each logit is a dot product over at most a few thousand terms: its rounding error is about sqrt(K)·2^-24
    /// relative (K = 1024: 2e-6) in the worst realistic case, and the mean over thousands of tokens averages it further.
    /// 1e-5 leaves a margin of five over that and is still 100x tighter than any change a code fault makes (the smallest
    /// such change seen in this suite, one shifted token window, moved a perplexity by 2e-3).
    /// </summary>
    public const double Float32Reduction = 1e-5;

    public static void AssertRelative(double expected, double actual, double relative = Float32Reduction)
    {
        double scale = Math.Max(Math.Abs(expected), Math.Abs(actual));
        double diff = Math.Abs(expected - actual);
        Assert.True(diff <= relative * scale,
            $"expected {expected:R}, got {actual:R}: relative difference {(scale == 0 ? 0 : diff / scale):E2} is above {relative:E1}");
    }
}
