using SlimLLM.Pruning.Recovery;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Streaming sufficient statistics of the contributions T_i (n x d) of G attention units (heads, or GQA KV groups) to the
/// attention output Y = sum_i T_i: the token count N, the per-unit sums (G x d) and the per-dimension cross-products
/// sum_n T_i[n,j] T_k[n,j] (G x G x d), all float64. Every similarity, score, greedy swap and regression of the holistic
/// head selection is a function of these, so they can be cached instead of re-running the model.
/// Raw (unshifted) sums are kept on purpose: a dimension that is exactly constant (typically exactly zero) then yields an
/// exactly zero variance.
/// </summary>
public sealed class UnitContributionStats : IDisposable
{
    private const string Kind = "attention unit contribution";

    private UnitContributionStats(int units, int hidden, long count, Tensor sums, Tensor cross)
    {
        Units = units;
        Hidden = hidden;
        Count = count;
        Sums = sums;
        CrossProducts = cross;
    }

    public UnitContributionStats(int units, int hidden, Device? device = null)
        : this(units, hidden, 0, StatsTensors.NewState(new long[] { units, hidden }, device),
               StatsTensors.NewState(new long[] { units, units, hidden }, device))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
    }

    /// <summary>G, the number of units.</summary>
    public int Units { get; }
    /// <summary>d, the hidden size.</summary>
    public int Hidden { get; }
    /// <summary>N, the number of tokens accumulated.</summary>
    public long Count { get; private set; }
    /// <summary>sum_n T_i[n, j], G x d, float64. Owned by this object: do not modify or dispose.</summary>
    public Tensor Sums { get; }
    /// <summary>sum_n T_i[n, j] T_k[n, j], G x G x d, float64. Owned by this object: do not modify or dispose.</summary>
    public Tensor CrossProducts { get; }

    /// <summary>Adds a batch of contributions, G x n x d (any floating dtype; upcast to float64).</summary>
    public void Accumulate(Tensor contributions)
    {
        if (contributions.dim() != 3 || contributions.shape[0] != Units || contributions.shape[2] != Hidden)
            throw new ArgumentException($"Contributions must be {Units} x n x {Hidden}, got [{string.Join(", ", contributions.shape)}].", nameof(contributions));
        using var scope = NewDisposeScope();
        var t = StatsTensors.AsDouble(contributions, Sums.device);
        Sums.add_(t.sum(1));
        // d batched (G x n) @ (n x G) products give d x G x G; stored as G x G x d. The copy to a contiguous d-major layout
        // matters: bmm over the strided permuted view is ~20x slower on CPU.
        var byDim = t.permute(2, 0, 1).contiguous();
        CrossProducts.add_(byDim.bmm(byDim.transpose(1, 2)).permute(1, 2, 0));
        Count += contributions.shape[1];
    }

    /// <summary>
    /// Computes the batch's unit contributions from the per-head attention outputs (before o_proj) and accumulates them:
    /// <paramref name="headOutputs"/> is n x H x h (or b x s x H x h), <paramref name="wO"/> is o_proj.weight, d x H*h.
    /// </summary>
    public void AccumulateHeadOutputs(Tensor headOutputs, Tensor wO)
    {
        using var scope = NewDisposeScope();
        Accumulate(ComputeContributions(headOutputs, wO, Units));
    }

    /// <summary>
    /// T_g = sum over the heads of KV group g of X_i W_O[:, block_i]^T, returned as G x n x d float64.
    /// Query head i belongs to KV group i / (H / G) (Hugging Face repeat_kv order), so a group's heads are consecutive and its
    /// o_proj columns are the contiguous block [g*(H/G)*h, (g+1)*(H/G)*h); with G = H this is the per-head contribution.
    /// </summary>
    /// <param name="x">Per-head attention outputs, n x H x h (leading batch dimensions are flattened).</param>
    /// <param name="wO">o_proj.weight, d x H*h.</param>
    /// <param name="groups">G, the number of KV groups (H for plain multi-head attention).</param>
    public static Tensor ComputeContributions(Tensor x, Tensor wO, int groups)
    {
        if (x.dim() < 3) throw new ArgumentException($"Head outputs must be n x H x h, got [{string.Join(", ", x.shape)}].", nameof(x));
        long heads = x.shape[^2], headDim = x.shape[^1];
        if (groups < 1 || heads % groups != 0)
            throw new ArgumentException($"{heads} heads cannot be split into {groups} KV groups.", nameof(groups));
        if (wO.dim() != 2 || wO.shape[1] != heads * headDim)
            throw new ArgumentException($"o_proj weight must be d x {heads * headDim}, got [{string.Join(", ", wO.shape)}].", nameof(wO));
        using var scope = NewDisposeScope();
        long d = wO.shape[0], groupWidth = heads / groups * headDim;
        var xg = StatsTensors.AsDouble(x, x.device).reshape(-1, groups, groupWidth).permute(1, 0, 2).contiguous();   // G x n x gw
        var wg = StatsTensors.AsDouble(wO, x.device).reshape(d, groups, groupWidth).permute(1, 2, 0).contiguous();   // G x gw x d
        return xg.bmm(wg).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The statistics of the KV-group contributions T_g = X[:, g] W_O[:, g]^T, from the head-output moments alone:
    /// sum_n T_g[n, j] = W_O[j, g] . s[g] and sum_n T_g[n, j] T_k[n, j] = W_O[j, g] M[g, k] W_O[j, k]^T, where g, k are the
    /// groups' column blocks of width (H/G)*h. Costs 2 d (H*h)^2 once per layer, independent of the token count.
    /// </summary>
    public static UnitContributionStats FromHeadOutputMoments(HeadOutputMoments moments, Tensor wO, int groups)
    {
        long d = wO.shape[0], width = moments.Width;
        if (wO.dim() != 2 || wO.shape[1] != width)
            throw new ArgumentException($"o_proj weight must be d x {width}, got [{string.Join(", ", wO.shape)}].", nameof(wO));
        if (groups < 1 || width % groups != 0)
            throw new ArgumentException($"{width} head-output columns cannot be split into {groups} KV groups.", nameof(groups));
        var stats = new UnitContributionStats(groups, (int)d, moments.Gram.device);
        using var scope = NewDisposeScope();
        long groupWidth = width / groups;
        var w = wO.to(ScalarType.Float64, moments.Gram.device);                                   // d x W
        var wBlocks = w.view(d, groups, groupWidth);
        stats.Sums.copy_((wBlocks * moments.Sum.view(1, groups, groupWidth)).sum(dim: 2).t());    // G x d
        for (long g = 0; g < groups; g++)
        {
            using var inner = NewDisposeScope();
            // P = W_O[:, g] M[g, k >= g] (d x the remaining width); summing P * W_O over each block k gives CP[g, k, :], and
            // CP[k, g, :] = CP[g, k, :] by symmetry, so only the upper half is computed.
            long from = g * groupWidth, rest = width - from;
            var p = w.narrow(1, from, groupWidth).matmul(moments.Gram.narrow(0, from, groupWidth).narrow(1, from, rest));
            var block = p.mul_(w.narrow(1, from, rest)).view(d, groups - g, groupWidth).sum(dim: 2).t();   // (G - g) x d
            stats.CrossProducts[g].narrow(0, g, groups - g).copy_(block);
            stats.CrossProducts.narrow(0, g, groups - g).select(1, g).copy_(block);
        }
        stats.Count = moments.Count;
        return stats;
    }

    /// <summary>Per-unit means over tokens, G x d.</summary>
    public Tensor Means()
    {
        RequireTokens();
        return Sums / Count;
    }

    /// <summary>Population covariances between units per dimension, G x G x d: Cov[i,k,j] = E[T_i T_k] - E[T_i] E[T_k].</summary>
    public Tensor Covariance()
    {
        RequireTokens();
        using var scope = NewDisposeScope();
        var mean = Sums / Count;
        return (CrossProducts / Count - mean.unsqueeze(1) * mean.unsqueeze(0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The per-dimension regression statistics of x = sum of the kept units' contributions against y = Y (all units), for the
    /// closed-form recovery of o_proj, without touching the model again.
    /// </summary>
    public PerDimRegressionStats RegressionStats(IReadOnlyCollection<int> keptUnits)
    {
        foreach (var u in keptUnits)
            if (u < 0 || u >= Units) throw new ArgumentOutOfRangeException(nameof(keptUnits), $"Unit {u} is outside 0..{Units - 1}.");
        using var scope = NewDisposeScope();
        var kept = tensor(keptUnits.Select(u => (long)u).ToArray(), ScalarType.Int64, Sums.device);
        var keptRows = CrossProducts.index_select(0, kept);
        return PerDimRegressionStats.FromSums(
            Count,
            sumX: Sums.index_select(0, kept).sum(dim: 0),
            sumY: Sums.sum(dim: 0),
            sumXX: keptRows.index_select(1, kept).sum(dim: 0).sum(dim: 0),
            sumXY: keptRows.sum(dim: 0).sum(dim: 0),
            sumYY: CrossProducts.sum(dim: 0).sum(dim: 0));
    }

    /// <summary>Plain tensors for a cache: "count" (int64 [1]), "sum" (G x d), "cross" (G x G x d). The caller owns them.</summary>
    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["count"] = StatsTensors.CountTensor(Count),
        ["sum"] = Sums.clone(),
        ["cross"] = CrossProducts.clone(),
    };

    /// <summary>Rebuilds the statistics from <see cref="ToTensors"/>'s output; <paramref name="source"/> (the cache file) names errors.</summary>
    public static UnitContributionStats FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string source, Device? device = null)
    {
        var shape = StatsTensors.ShapeOf(tensors, "sum", 2, source, Kind);
        long g = shape[0], d = shape[1];
        var count = StatsTensors.ReadCount(tensors, "count", source, Kind);
        var sums = StatsTensors.ReadState(tensors, "sum", new[] { g, d }, source, Kind, device);
        var cross = StatsTensors.ReadState(tensors, "cross", new[] { g, g, d }, source, Kind, sums.device);
        return new UnitContributionStats((int)g, (int)d, count, sums, cross);
    }

    private void RequireTokens()
    {
        if (Count == 0) throw new InvalidOperationException("No tokens have been accumulated.");
    }

    public void Dispose()
    {
        Sums.Dispose();
        CrossProducts.Dispose();
    }
}
