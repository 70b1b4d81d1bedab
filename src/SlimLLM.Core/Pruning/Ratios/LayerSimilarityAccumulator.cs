using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Ratios;

/// <summary>Streaming mean of per-token cosines over calibration batches (all tokens weigh the same).</summary>
public sealed class LayerSimilarityAccumulator
{
    public double SumOfCosines { get; private set; }
    public long Count { get; private set; }

    public void Accumulate(Tensor hiddenIn, Tensor hiddenOut)
    {
        using var scope = NewDisposeScope();
        var cosines = LayerSimilarity.TokenCosines(hiddenIn, hiddenOut);
        SumOfCosines += cosines.sum().item<double>();
        Count += cosines.shape[0];
    }

    public double Mean => Count > 0 ? SumOfCosines / Count : throw new InvalidOperationException("No tokens have been accumulated.");
}
