using SlimLLM.Pruning.Selection;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// An importance criterion, registered in <see cref="MethodRegistry"/> under <see cref="Name"/>: which KV groups and FFN channels
/// of a layer stay, and the recovery used unless another is asked for. Instances are compared by name.
/// </summary>
public abstract class PruningMethod
{
    public abstract string Name { get; }

    /// <summary>The recovery used when none is named (null: none).</summary>
    public virtual PruningRecovery? DefaultRecovery => null;

    /// <summary>Whether <c>keep_lowest_1pct</c> applies: the lowest-scoring 1% of FFN channels are protected, not pruned.</summary>
    public virtual bool ProtectsLowestOnePercent => false;

    /// <summary>The KV groups that stay when <paramref name="pruneCount"/> (at least 1) of them go.</summary>
    public abstract KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount);

    /// <summary>One score per FFN channel (lower: pruned first), length m; the caller disposes it.</summary>
    public abstract Tensor ChannelScores(FfnUnits units);

    /// <summary>Keeps all but the <paramref name="pruneCount"/> lowest-scoring groups; disposes <paramref name="scores"/>.</summary>
    protected static KvGroupSelection KeepHighest(Tensor scores, int pruneCount)
    {
        using (scores) return new KvGroupSelection(LowestScoreSelection.Kept(scores, pruneCount).Select(i => (int)i).ToArray(), null);
    }

    public sealed override bool Equals(object? obj) => obj is PruningMethod m && m.Name == Name;
    public sealed override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public sealed override string ToString() => Name;
}
