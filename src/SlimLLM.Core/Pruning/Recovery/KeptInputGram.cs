using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// Streaming sufficient statistics of one multivariate regression Y ≈ X W^T + b over tokens, X the k kept inputs of a pruned
/// output projection and Y the dense projection's d outputs: N, sum x (k), sum y (d), X^T X (k x k), X^T Y (k x d) and
/// sum ||y||^2 (for measuring errors), all float64 on the device they were created on.
/// </summary>
public sealed class KeptInputGram : IDisposable
{
    public KeptInputGram(int inputs, int outputs, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        Inputs = inputs;
        Outputs = outputs;
        SumX = StatsTensors.NewState([inputs], device);
        SumY = StatsTensors.NewState([outputs], device);
        Gram = StatsTensors.NewState([inputs, inputs], device);
        Cross = StatsTensors.NewState([inputs, outputs], device);
        SumYY = StatsTensors.NewState([1], device);
    }

    /// <summary>k, the kept inputs.</summary>
    public int Inputs { get; }
    /// <summary>d, the projection's outputs.</summary>
    public int Outputs { get; }
    public long Count { get; private set; }
    public Tensor SumX { get; }
    public Tensor SumY { get; }
    /// <summary>X^T X, k x k.</summary>
    public Tensor Gram { get; }
    /// <summary>X^T Y, k x d.</summary>
    public Tensor Cross { get; }
    /// <summary>sum_n ||y_n||^2, one element.</summary>
    public Tensor SumYY { get; }

    /// <summary>Adds tokens: x is n x k and y n x d (or b x s x ...), any floating dtype, upcast to float64.</summary>
    public void Accumulate(Tensor x, Tensor y)
    {
        if (x.shape[^1] != Inputs || y.shape[^1] != Outputs || x.numel() / Inputs != y.numel() / Outputs)
            throw new ArgumentException($"x must be n x {Inputs} and y n x {Outputs}, got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}].");
        using var scope = NewDisposeScope();
        var xd = StatsTensors.AsDouble(x, Gram.device).reshape(-1, Inputs);
        var yd = StatsTensors.AsDouble(y, Gram.device).reshape(-1, Outputs);
        SumX.add_(xd.sum(dim: 0));
        SumY.add_(yd.sum(dim: 0));
        Gram.addmm_(xd.t(), xd);
        Cross.addmm_(xd.t(), yd);
        SumYY.add_(yd.square().sum());
        Count += xd.shape[0];
    }

    /// <summary>Adds another accumulator's tokens to this one's.</summary>
    public void Add(KeptInputGram other)
    {
        if (other.Inputs != Inputs || other.Outputs != Outputs)
            throw new ArgumentException($"Cannot add statistics of {other.Inputs} x {other.Outputs} to {Inputs} x {Outputs}.");
        SumX.add_(other.SumX);
        SumY.add_(other.SumY);
        Gram.add_(other.Gram);
        Cross.add_(other.Cross);
        SumYY.add_(other.SumYY);
        Count += other.Count;
    }

    public void Dispose()
    {
        SumX.Dispose();
        SumY.Dispose();
        Gram.Dispose();
        Cross.Dispose();
        SumYY.Dispose();
    }
}
