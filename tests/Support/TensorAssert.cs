using static TorchSharp.torch;

namespace SlimLLM.Tests.Support;

internal static class TensorAssert
{
    /// <summary>True when both tensors have the same dtype, shape and every element equal.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
