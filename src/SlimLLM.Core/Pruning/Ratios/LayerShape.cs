using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Ratios;

/// <summary>
/// The parameter-bearing shape of one LLaMA decoder layer: q/k/v/o projections without bias, gate/up/down projections without bias,
/// two RMSNorm weight vectors. Attention is pruned by whole KV groups (one KV head and its Heads/KvHeads query heads).
/// </summary>
public sealed record LayerShape(int Hidden, int Heads, int KvHeads, int HeadDim, int Ffn)
{
    public int HeadsPerGroup { get; } = Hidden > 0 && HeadDim > 0 && Ffn > 0 && KvHeads > 0 && Heads % KvHeads == 0
        ? Heads / KvHeads
        : throw new ArgumentException($"Invalid layer shape: hidden {Hidden}, heads {Heads}, KV heads {KvHeads}, head size {HeadDim}, FFN {Ffn}.");

    /// <summary>Parameters of the dense layer.</summary>
    public long DenseParameters => ParametersAfter(0, 0);

    /// <summary>
    /// Parameters after removing <paramref name="prunedGroups"/> KV groups and <paramref name="prunedChannels"/> FFN channels.
    /// A pruned block (at least one unit removed) gains the recovery bias of its output projection (Hidden values): o_proj and/or
    /// down_proj. An attention block with every group removed keeps nothing but that bias (likewise the FFN).
    /// </summary>
    public long ParametersAfter(int prunedGroups, int prunedChannels)
    {
        if (prunedGroups < 0 || prunedGroups > KvHeads) throw new ArgumentOutOfRangeException(nameof(prunedGroups));
        if (prunedChannels < 0 || prunedChannels > Ffn) throw new ArgumentOutOfRangeException(nameof(prunedChannels));
        long hidden = Hidden, groups = KvHeads - prunedGroups, channels = Ffn - prunedChannels;
        long queryWidth = groups * HeadsPerGroup * HeadDim, kvWidth = groups * HeadDim;
        var attention = hidden * queryWidth * 2 + hidden * kvWidth * 2 + (prunedGroups > 0 ? hidden : 0);
        var ffn = hidden * channels * 3 + (prunedChannels > 0 ? hidden : 0);
        return attention + ffn + 2 * hidden;
    }

    /// <summary>
    /// Groups and channels a ratio removes: round-half-even of ratio × units, channels under <paramref name="rule"/> and
    /// rounded to <paramref name="channelMultiple"/> (<see cref="FfnChannelSelector.PrunedCount"/>).
    /// </summary>
    public (int Groups, int Channels) PrunedCounts(double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent, int channelMultiple = 1) =>
        (PruneCount.FromRatio(ratio, KvHeads), FfnChannelSelector.PrunedCount(Ffn, ratio, rule, channelMultiple));

    /// <summary>Parameters removed at <paramref name="ratio"/> (dense minus after, the recovery biases included).</summary>
    public long ParametersRemoved(double ratio, FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent, int channelMultiple = 1)
    {
        var (groups, channels) = PrunedCounts(ratio, rule, channelMultiple);
        return DenseParameters - ParametersAfter(groups, channels);
    }
}
