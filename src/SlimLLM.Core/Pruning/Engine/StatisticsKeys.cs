using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The content-addressed cache keys of a run's statistics: what they are, the algorithm version, the model, the calibration
/// and its batching, the compute dtype and device, and for a layer the inputs it saw. A change to any part misses the cache.
/// </summary>
internal sealed class StatisticsKeys(string modelFingerprint, CalibrationSet calibration, CalibrationBatches batches, ComputeDevice compute)
{
    /// <summary>The inputs of layer 0 in sequential mode (see <see cref="After"/>).</summary>
    public const string Embedding = "embedding";
    /// <summary>The inputs of every layer in dense mode: the dense model's.</summary>
    public const string Dense = "dense";

    public string Similarities() => Base("similarities").Hash();

    /// <param name="inputs">The layer's inputs: <see cref="Dense"/>, or the chain of stored layers before it.</param>
    public string Attention(int layer, string inputs) => Base("attention").Add("layer", layer).Add("inputs", inputs).Hash();

    /// <param name="attention">The hash of the pruned attention the FFN statistics were taken behind, or <see cref="Dense"/>.</param>
    public string Ffn(int layer, string inputs, string attention) =>
        Base("ffn").Add("layer", layer).Add("inputs", inputs).Add("attention", attention).Hash();

    /// <summary>The inputs of the next layer in sequential mode: these inputs through the stored layer of hash <paramref name="storedLayer"/>.</summary>
    public static string After(string inputs, string storedLayer) => new CacheKey().Add("previous", inputs).Add("layer", storedLayer).Hash();

    private CacheKey Base(string what) => new CacheKey().Add("what", what).Add("algorithm", PruningAlgorithm.Version).Add("model", modelFingerprint)
        .Add("calibration", calibration.Fingerprint).Add("batches", string.Join(",", batches.All.Select(b => b.shape[0]))).Add("held_out_batches", batches.HeldOut)
        .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString());
}
