using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

/// <summary>The SlimLLM FFN channel scores (length m, float64) and their three terms. Lower Total = less important.</summary>
public sealed record FfnChannelScores(Tensor Gate, Tensor Up, Tensor Down, Tensor Total) : IDisposable
{
    public void Dispose()
    {
        Gate.Dispose();
        Up.Dispose();
        Down.Dispose();
        Total.Dispose();
    }
}
