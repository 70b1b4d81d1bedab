using static SlimLLM.Pruning.Baselines.BaselineMath;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

/// <summary>
/// FLAP's fluctuation metric: a unit's score is the variance over tokens of its input channel(s) times the squared L2 norm of the
/// output-projection column(s) it feeds. Lower = pruned first. FLAP's recovery (the mean of the removed contributions folded into
/// a bias) is <see cref="Recovery.RecoveryMethod.MeanBias"/> in <see cref="Recovery.LinearRecovery.Fit"/>.
/// </summary>
public static class FlapScores
{
    /// <summary>
    /// score_g = sum over o_proj input channels col of group g of var(X[:, col]) ||W_O[:, col]||^2. Length G, float64.
    /// </summary>
    /// <param name="headOutputVariances">Population variance over tokens of each o_proj input channel, length H*h.</param>
    public static Tensor KvGroups(AttentionWeights w, Tensor headOutputVariances)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        return w.PerGroup(D(headOutputVariances) * D(w.O).square().sum(dim: 0)).MoveToOuterDisposeScope();
    }

    /// <summary>score_c = var(a[:, c]) ||W_down[:, c]||^2. Length m, float64.</summary>
    /// <param name="activationVariances">Population variance over tokens of each channel of a = silu(gate x) * up x, length m.</param>
    public static Tensor FfnChannels(FfnWeights w, Tensor activationVariances)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        return (D(activationVariances) * D(w.Down).square().sum(dim: 0)).MoveToOuterDisposeScope();
    }
}
