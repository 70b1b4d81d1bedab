using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

internal static class BaselineMath
{
    public static Tensor D(Tensor t) => t.to(ScalarType.Float64);
}
