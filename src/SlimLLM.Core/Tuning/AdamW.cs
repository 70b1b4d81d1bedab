using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tuning;

/// <summary>
/// AdamW (Loshchilov and Hutter) as torch.optim.AdamW computes it, with bias correction and decoupled weight decay, over
/// float32 parameters; written out so that the update is plain, fixed arithmetic whatever the TorchSharp version.
/// </summary>
public sealed class AdamW(IReadOnlyList<Tensor> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.0) : IDisposable
{
    private readonly Tensor[] _m = parameters.Select(p => zeros_like(p)).ToArray();
    private readonly Tensor[] _v = parameters.Select(p => zeros_like(p)).ToArray();
    private int _step;

    /// <summary>One update with learning rate <paramref name="lr"/> from the gradients in each parameter's grad (a missing one counts as zero).</summary>
    public void Step(double lr)
    {
        _step++;
        using var noGrad = no_grad();
        double c1 = 1 - Math.Pow(beta1, _step), c2 = 1 - Math.Pow(beta2, _step);
        using Scalar b1 = beta1.ToScalar(), nb1 = (1 - beta1).ToScalar(), b2 = beta2.ToScalar(), nb2 = (1 - beta2).ToScalar();
        using Scalar decay = (1 - lr * weightDecay).ToScalar(), step = (-lr / c1).ToScalar(), sqrtC2 = Math.Sqrt(c2).ToScalar(), epsilon = eps.ToScalar();
        for (int i = 0; i < parameters.Count; i++)
        {
            using var scope = NewDisposeScope();
            var p = parameters[i];
            var g = p.grad is { } grad ? grad : zeros_like(p);
            _m[i].mul_(b1).add_(g, alpha: nb1);
            _v[i].mul_(b2).addcmul_(g, g, value: nb2);
            if (weightDecay != 0) p.mul_(decay);
            // p -= lr * (m / c1) / (sqrt(v / c2) + eps)
            var denom = _v[i].sqrt().div_(sqrtC2).add_(epsilon);
            p.addcdiv_(_m[i], denom, value: step);
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
