using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Tuning;

/// <summary>
/// One LoRA adapter on a projection W [out, in]: the projection becomes <c>W x + scale * B (A x)</c> with A [rank, in] and
/// B [out, rank] (float32 when trained), scale = alpha / rank. B starts at zero, so an untrained adapter changes nothing.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    public LoraAdapter(Tensor a, Tensor b, double scale)
    {
        A = a;
        B = b;
        Scale = scale;
    }

    /// <summary>[rank, in], float32.</summary>
    public Tensor A { get; }
    /// <summary>[out, rank], float32.</summary>
    public Tensor B { get; }
    public double Scale { get; }

    /// <summary>scale * B (A x) for x [..., in], in x's dtype (computed in the adapter's).</summary>
    public Tensor Delta(Tensor x)
    {
        using var scope = NewDisposeScope();
        var xf = x.dtype == A.dtype ? x : x.to(A.dtype);
        using var scale = Scale.ToScalar();
        var d = F.linear(F.linear(xf, A), B).mul(scale);
        return (d.dtype == x.dtype ? d : d.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>W + scale * B A, computed in the adapter's dtype and returned in W's: the projection with the adapter merged in.</summary>
    public Tensor MergeInto(Tensor weight)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var scale = Scale.ToScalar();
        var merged = weight.to(A.dtype, A.device).add(B.matmul(A).mul(scale));
        return merged.to(weight.dtype, weight.device).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
