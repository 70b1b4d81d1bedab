using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

/// <summary>The projections of one FFN block in Hugging Face layout: gate_proj and up_proj m x d, down_proj d x m.</summary>
public sealed record FfnWeights(Tensor Gate, Tensor Up, Tensor Down)
{
    internal void Validate()
    {
        if (Gate.dim() != 2 || !Up.shape.SequenceEqual(Gate.shape) || Down.dim() != 2 || Down.shape[0] != Gate.shape[1] || Down.shape[1] != Gate.shape[0])
            throw new ArgumentException(
                $"Inconsistent FFN weights: gate [{string.Join(", ", Gate.shape)}], up [{string.Join(", ", Up.shape)}], down [{string.Join(", ", Down.shape)}].");
    }
}
