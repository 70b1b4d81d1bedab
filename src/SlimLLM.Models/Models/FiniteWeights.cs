using SlimLLM.Errors;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// Refuses a weight tensor holding NaN or infinite values as it is loaded: a model with one computes NaN through every later
/// layer, which would be pruned (and written) silently, or crash a linear solve far from the cause.
/// </summary>
public static class FiniteWeights
{
    /// <summary>Returns <paramref name="t"/> when all its values are finite; otherwise disposes it and throws naming the tensor.</summary>
    public static Tensor Ensure(Tensor t, string file, string name)
    {
        using (NewDisposeScope())
        {
            // A float64 sum is finite exactly when every value is (NaN and infinities propagate; finite weights cannot
            // overflow it), and it reads the tensor once without isfinite's one-byte-per-element temporary.
            if (double.IsFinite(t.sum(ScalarType.Float64).item<double>())) return t;
            long nan = t.isnan().sum().item<long>(), inf = t.isinf().sum().item<long>();
            t.Dispose();
            throw new SlimLLMException(file, $"tensor '{name}' holds {nan:N0} NaN and {inf:N0} infinite values; a model with them computes NaN.",
                "The weights are corrupt: download or convert the model again.");
        }
    }
}
