using SlimLLM.Caching;
using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Recovery;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Caches a layer's recovery fit (per-dimension scale and bias, or a refitted weight) under the key of the statistics it was
/// fitted on plus the kept units and the method: an unchanged rebuild then skips the fit, whose cost grows with the square
/// of the FFN width (the cube, for a refit).
/// </summary>
/// <remarks>A hit is moved to <paramref name="device"/>, the compute device (entries are stored on the CPU).</remarks>
internal sealed class RecoveryCache(IStatisticsCache cache, string statisticsKey, Device device)
{
    public static readonly RecoveryCache None = new(new NoStatisticsCache(), "", CPU);

    public (IProjectionFit Fit, double? RidgeStrength) GetOrFit(string block, long[] kept, PruningRecovery recovery, Func<(IProjectionFit, double?)> fit)
    {
        if (statisticsKey.Length == 0) return fit();
        var key = new CacheKey().Add("what", "fit").Add("block", block).Add("statistics", statisticsKey)
            .Add("kept", string.Join(",", kept)).Add("method", recovery.CacheTag).Hash();
        string weightName = recovery.RefitsWeight ? "weight" : "scale";
        var hit = cache.TryGet("fit", key);
        if (hit is not null && hit.TryGetValue(weightName, out var weight) && hit.TryGetValue("bias", out var bias) && hit.TryGetValue("ridge", out var ridge))
        {
            double r = ridge.item<double>();
            ridge.Dispose();
            IProjectionFit cached = recovery.RefitsWeight ? new RefittedLinear(OnDevice(weight), OnDevice(bias)) : new ScaleBias(OnDevice(weight), OnDevice(bias));
            return (cached, r < 0 ? null : r);
        }
        Tensor OnDevice(Tensor t) { using (t) return t.to(t.dtype, device, copy: true); }
        var (result, strength) = fit();
        using var ridgeTensor = tensor(strength ?? -1.0, ScalarType.Float64);
        var entry = result.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        entry["ridge"] = ridgeTensor;
        cache.Put("fit", key, entry);
        return (result, strength);
    }
}
