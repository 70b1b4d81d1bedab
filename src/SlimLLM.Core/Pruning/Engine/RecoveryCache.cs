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
internal sealed class RecoveryCache(IStatisticsCache cache, string statisticsKey)
{
    public static readonly RecoveryCache None = new(new NoStatisticsCache(), "");

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
            IProjectionFit cached = recovery.RefitsWeight ? new RefittedLinear(weight, bias) : new ScaleBias(weight, bias);
            return (cached, r < 0 ? null : r);
        }
        var (result, strength) = fit();
        using var ridgeTensor = tensor(strength ?? -1.0, ScalarType.Float64);
        var (w, b) = result switch
        {
            ScaleBias s => (s.Scale, s.Bias),
            RefittedLinear l => (l.Weight, l.Bias),
            _ => throw new InvalidOperationException($"No cache layout for a {result.GetType().Name}."),
        };
        cache.Put("fit", key, new Dictionary<string, Tensor> { [weightName] = w, ["bias"] = b, ["ridge"] = ridgeTensor });
        return (result, strength);
    }
}
