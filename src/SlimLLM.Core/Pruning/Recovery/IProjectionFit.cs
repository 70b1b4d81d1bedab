using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// A recovery of one pruned output projection (o_proj or down_proj), folded into its kept input columns: a per-dimension
/// <see cref="ScaleBias"/>, or a whole refitted weight (<see cref="RefittedLinear"/>).
/// </summary>
public interface IProjectionFit : IDisposable
{
    /// <summary>The pruned weight (d_out x kept, in <paramref name="weight"/>'s dtype) and bias.</summary>
    /// <param name="weight">The dense weight, d_out x d_in.</param>
    /// <param name="keptColumns">The kept input columns (int64), in the pruned layer's order.</param>
    /// <param name="existingBias">The layer's bias before pruning, or null; the fit was made on outputs without it.</param>
    /// <summary>The fit's tensors, named as the recovery cache stores them.</summary>
    IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; }

    FoldedLinear Fold(Tensor weight, Tensor keptColumns, Tensor? existingBias);
}
