using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>The weight and bias of a pruned, recovered linear layer (output x input, and output), in the original weight dtype.</summary>
public sealed record FoldedLinear(Tensor Weight, Tensor Bias) : IDisposable
{
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}
