namespace SlimLLM.Pruning;

/// <summary>The pruning algorithm's version, recorded in slimllm.json and part of every statistics and perplexity cache key.</summary>
public static class PruningAlgorithm
{
    /// <summary>Raised when the algorithm or the cached statistics' layout changes, so older cache entries are not reused.</summary>
    public const int Version = 3;
}
