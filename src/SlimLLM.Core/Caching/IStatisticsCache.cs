using static TorchSharp.torch;

namespace SlimLLM.Caching;

/// <summary>Content-addressed storage of statistics (plain named tensors), with hit/miss counters.</summary>
public interface IStatisticsCache
{
    /// <summary>The tensors stored under <paramref name="key"/>, or null (a miss; a corrupt entry is a miss too, with a warning).</summary>
    Dictionary<string, Tensor>? TryGet(string kind, string key);
    void Put(string kind, string key, IReadOnlyDictionary<string, Tensor> tensors);
    int Hits { get; }
    int Misses { get; }
}

/// <summary>No cache: everything is recomputed, nothing is stored.</summary>
public sealed class NoStatisticsCache : IStatisticsCache
{
    public Dictionary<string, Tensor>? TryGet(string kind, string key) { Misses++; return null; }
    public void Put(string kind, string key, IReadOnlyDictionary<string, Tensor> tensors) { }
    public int Hits => 0;
    public int Misses { get; private set; }
}
