using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

/// <summary>Selection for score-based baselines: the <c>pruneCount</c> lowest-scoring units are pruned.</summary>
public static class LowestScoreSelection
{
    /// <summary>The kept unit indices, ascending. Ties in score: the lower index is pruned first (stable sort).</summary>
    public static long[] Kept(Tensor scores, int pruneCount)
    {
        if (scores.dim() != 1) throw new ArgumentException("Scores must be a vector.", nameof(scores));
        if (pruneCount < 0 || pruneCount > scores.shape[0])
            throw new ArgumentOutOfRangeException(nameof(pruneCount), pruneCount, $"Can prune between 0 and {scores.shape[0]} units.");
        using var scope = NewDisposeScope();
        var (_, ascending) = scores.to(ScalarType.Float64).sort(dim: 0, descending: false, stable: true);
        return ascending.cpu().data<long>().ToArray()[pruneCount..].Order().ToArray();
    }
}
