using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Ratios;

/// <summary>
/// s_l = mean over tokens of cosine(hidden_in_l, hidden_out_l): how little decoder layer l changes its input (higher = more
/// redundant, pruned harder). Cosine as torch.nn.functional.cosine_similarity (eps 1e-8), in float64.
/// </summary>
public static class LayerSimilarity
{
    /// <summary>Per-token cosines of two n x d (or b x s x d) tensors, float64, length n.</summary>
    public static Tensor TokenCosines(Tensor hiddenIn, Tensor hiddenOut)
    {
        if (!hiddenIn.shape.SequenceEqual(hiddenOut.shape))
            throw new ArgumentException($"Hidden states differ in shape: [{string.Join(", ", hiddenIn.shape)}] vs [{string.Join(", ", hiddenOut.shape)}].");
        using var scope = NewDisposeScope();
        long d = hiddenIn.shape[^1];
        var a = hiddenIn.to(ScalarType.Float64).reshape(-1, d);
        var b = hiddenOut.to(ScalarType.Float64, hiddenIn.device).reshape(-1, d);
        return nn.functional.cosine_similarity(a, b, dim: 1, eps: 1e-8).MoveToOuterDisposeScope();
    }

    public static double MeanCosine(Tensor hiddenIn, Tensor hiddenOut)
    {
        using var scope = NewDisposeScope();
        return TokenCosines(hiddenIn, hiddenOut).mean().item<double>();
    }
}
