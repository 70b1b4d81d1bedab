using SlimLLM.Caching;
using SlimLLM.Progress;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>Statistics read from the cache when there, else computed and written to it.</summary>
/// <remarks>Entries are stored on the CPU and rebuilt on <paramref name="device"/> (the compute device).</remarks>
internal sealed class CachedStatistics(IStatisticsCache cache, IProgressReporter progress, PhaseTimings timings, Device device)
{
    public AttentionStatistics Attention(string key, Func<AttentionStatistics> compute) =>
        GetOrCompute("attention", key, (t, s) => AttentionStatistics.FromTensors(t, s, device), s => s.ToTensors(), compute);

    public FfnStatistics Ffn(string key, Func<FfnStatistics> compute) =>
        GetOrCompute("ffn", key, (t, s) => FfnStatistics.FromTensors(t, s, device), s => s.ToTensors(), compute);

    /// <summary>The statistics of <paramref name="kind"/> under <paramref name="key"/>; the caller disposes them.</summary>
    private T GetOrCompute<T>(string kind, string key, Func<IReadOnlyDictionary<string, Tensor>, string, T> fromTensors,
        Func<T, Dictionary<string, Tensor>> toTensors, Func<T> compute)
    {
        var cached = timings.Time("cache", () => cache.TryGet(kind, key));
        if (cached is not null)
        {
            try { return fromTensors(cached, $"{kind} statistics {key}"); }
            catch (Errors.SlimLLMException e)
            {
                // Whole and checksummed, but not what this version expects (written by another version): recompute it.
                progress.Warn($"cache entry {kind}/{key[..12]}… cannot be used ({e.Cause}); it is recomputed.");
            }
            finally { foreach (var t in cached.Values) t.Dispose(); }
        }
        var value = timings.Time("statistics", compute);
        var tensors = toTensors(value);
        timings.Time("cache", () => cache.Put(kind, key, tensors));
        foreach (var t in tensors.Values) t.Dispose();
        return value;
    }
}
