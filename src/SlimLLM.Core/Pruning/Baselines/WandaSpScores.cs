using static SlimLLM.Pruning.Baselines.BaselineMath;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

/// <summary>
/// Wanda-sp baseline: a unit's score is the sum over its weights of |W| times the L2 norm over tokens of that weight's input
/// activation. Lower = pruned first.
/// </summary>
public static class WandaSpScores
{
    /// <summary>
    /// score_g = sum over q/k/v rows r of group g of sum_c |W[r,c]| n_in[c] + sum over o columns col of group g of
    /// n_X[col] sum_j |W_O[j,col]|. Length G, float64.
    /// </summary>
    /// <param name="attentionInputNorms">n_in: per-dimension L2 norm of the attention input (after input RMSNorm), length d.</param>
    /// <param name="headOutputNorms">n_X: per-channel L2 norm of the o_proj input (concatenated head outputs), length H*h.</param>
    public static Tensor KvGroups(AttentionWeights w, Tensor attentionInputNorms, Tensor headOutputNorms)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        var nIn = D(attentionInputNorms);
        var nX = D(headOutputNorms);
        var rows = w.PerGroup(D(w.Q).abs().matmul(nIn)) + w.PerGroup(D(w.K).abs().matmul(nIn)) + w.PerGroup(D(w.V).abs().matmul(nIn));
        var columns = w.PerGroup(D(w.O).abs().sum(dim: 0) * nX);
        return (rows + columns).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// score_c = sum_k (|W_gate[c,k]| + |W_up[c,k]|) n_in[k] + n_a[c] sum_j |W_down[j,c]|. Length m, float64.
    /// </summary>
    /// <param name="ffnInputNorms">n_in: per-dimension L2 norm of the FFN input (after post-attention RMSNorm), length d.</param>
    /// <param name="activationNorms">n_a: per-channel L2 norm of a = silu(gate x) * up x, length m.</param>
    public static Tensor FfnChannels(FfnWeights w, Tensor ffnInputNorms, Tensor activationNorms)
    {
        w.Validate();
        using var scope = NewDisposeScope();
        var nIn = D(ffnInputNorms);
        var rows = (D(w.Gate).abs() + D(w.Up).abs()).matmul(nIn);
        var column = D(activationNorms) * D(w.Down).abs().sum(dim: 0);
        return (rows + column).MoveToOuterDisposeScope();
    }
}
