using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// A pruned output projection refitted as a whole on its kept inputs (<see cref="LeastSquaresFit"/>): Weight is d_out x kept,
/// Bias d_out, both float64; they replace the kept columns rather than scale them.
/// </summary>
public sealed record RefittedLinear(Tensor Weight, Tensor Bias) : IProjectionFit
{
    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors => [("weight", Weight), ("bias", Bias)];

    public FoldedLinear Fold(Tensor weight, Tensor keptColumns, Tensor? existingBias)
    {
        if (Weight.shape[0] != weight.shape[0] || Weight.shape[1] != keptColumns.shape[0])
            throw new ArgumentException($"A refit of shape [{string.Join(", ", Weight.shape)}] does not match {weight.shape[0]} outputs and {keptColumns.shape[0]} kept columns.");
        using var scope = NewDisposeScope();
        var bias = Bias.to(ScalarType.Float64, weight.device);
        if (existingBias is not null) bias = bias + existingBias.to(ScalarType.Float64);
        return new FoldedLinear(Weight.to(weight.dtype, weight.device).MoveToOuterDisposeScope(), bias.to(weight.dtype).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}
