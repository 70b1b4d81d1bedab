using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The statistics pass of a whole-weight recovery (<see cref="PruningRecovery.RefitsWeight"/>), after selection: the kept inputs'
/// Gram and their cross term with the dense projection's output, per calibration batch, split into fit and held-out batches.
/// Accumulated on the compute device (where the activations are).
/// </summary>
internal static class WeightRefit
{
    /// <summary>o_proj: inputs the kept columns of the head outputs, outputs the dense o_proj's (without its bias).</summary>
    public static (IProjectionFit, double?) Attention(BatchTensors headOutputs, Tensor wO, Tensor keptColumns, int fitBatches, PruningRecovery recovery)
    {
        using var cols = keptColumns.to(wO.device);
        return Fit(headOutputs.Values.Count, (int)cols.shape[0], (int)wO.shape[0], wO.device, fitBatches, recovery, b =>
        {
            var x = headOutputs[b].flatten(2);
            return (x.index_select(2, cols), F.linear(x, wO));
        });
    }

    /// <summary>down_proj: inputs the kept FFN activations, outputs the dense FFN's (without down_proj's bias).</summary>
    public static (IProjectionFit, double?) Ffn(FfnActivations acts, Tensor wDown, long[] kept, int fitBatches, PruningRecovery recovery)
    {
        using var idx = tensor(kept, ScalarType.Int64, wDown.device);
        return Fit(acts.Activations.Values.Count, kept.Length, (int)wDown.shape[0], wDown.device, fitBatches, recovery,
            b => (acts.Activations[b].index_select(-1, idx), acts.Outputs[b]));
    }

    private static (IProjectionFit, double?) Fit(int batches, int k, int d, Device device, int fitBatches, PruningRecovery recovery, Func<int, (Tensor X, Tensor Y)> batch)
    {
        bool holdsOut = recovery.HoldsOut && fitBatches < batches;
        using var fit = new KeptInputGram(k, d, device);
        using var held = holdsOut ? new KeptInputGram(k, d, device) : null;
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch(b);
            (b < fitBatches || held is null ? fit : held).Accumulate(x, y);
        }
        return recovery.Refit(fit, held);
    }
}
