namespace SlimLLM.Pruning.Selection;

/// <summary>How many units a ratio removes, and which weight columns a set of units occupies.</summary>
public static class PruneCount
{
    /// <summary>
    /// round(ratio * units) with Python's rounding (half to even), as the authors' code computes both the pruned head count and
    /// the pruned channel count; clamped to [0, units - 1]: a pruned block always keeps at least one unit (a layer with no
    /// KV head or no FFN channel left cannot be expressed in the Hugging Face or GGUF formats, and its math divides by zero).
    /// </summary>
    public static int FromRatio(double ratio, int units)
    {
        if (!(ratio >= 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "A pruning ratio must lie in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        return Math.Clamp((int)Math.Round(ratio * units, MidpointRounding.ToEven), 0, Math.Max(0, units - 1));
    }

    /// <summary>
    /// The weight indices of whole units of <paramref name="width"/> consecutive indices each, in the order given: unit u covers
    /// [u*width, (u+1)*width). For a KV group of o_proj/q_proj: width = (H/G)*h; of k_proj/v_proj: width = h.
    /// </summary>
    public static long[] Expand(IEnumerable<int> units, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        return units.SelectMany(u => Enumerable.Range(0, width).Select(i => (long)u * width + i)).ToArray();
    }
}
