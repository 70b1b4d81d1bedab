using static SlimLLM.Pruning.Baselines.BaselineMath;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

/// <summary>Magnitude baseline: a unit's score is the L2 norm of all its weights. Lower = pruned first.</summary>
public static class MagnitudeScores
{
    /// <summary>
    /// score_g = sqrt( sum over q rows, k rows and v rows of group g of sum_c W[r,c]^2 + sum over o columns of group g of sum_j W_O[j,col]^2 ).
    /// Length G, float64.
    /// </summary>
    public static Tensor KvGroups(AttentionWeights w)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        var squares = w.PerGroup(D(w.Q).square().sum(1)) + w.PerGroup(D(w.K).square().sum(1))
                    + w.PerGroup(D(w.V).square().sum(1)) + w.PerGroup(D(w.O).square().sum(dim: 0));
        return squares.sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>score_c = sqrt( ||W_gate[c,:]||^2 + ||W_up[c,:]||^2 + ||W_down[:,c]||^2 ). Length m, float64.</summary>
    public static Tensor FfnChannels(FfnWeights w)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        var squares = D(w.Gate).square().sum(1) + D(w.Up).square().sum(1) + D(w.Down).square().sum(dim: 0);
        return squares.sqrt().MoveToOuterDisposeScope();
    }
}
