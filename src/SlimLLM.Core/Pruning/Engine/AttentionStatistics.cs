using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Ratio-independent statistics of one layer's attention block: the KV-group contribution statistics (split into the part the
/// recovery is fitted on and the part held out for ridge), the attention-input and per-head-output moments for the baselines.
/// </summary>
public sealed class AttentionStatistics : IDisposable
{
    public required UnitContributionStats Fit { get; init; }
    public required UnitContributionStats Held { get; init; }
    public required ChannelMomentStats Input { get; init; }
    public required ChannelMomentStats HeadOutput { get; init; }

    /// <summary>Fit + held: what selection uses.</summary>
    public UnitContributionStats All() => Held.Count == 0 ? Clone(Fit) : Merge(Fit, Held);

    public Dictionary<string, Tensor> ToTensors() => Prefixed(("fit.", Fit.ToTensors()), ("held.", Held.ToTensors()),
        ("input.", Input.ToTensors()), ("heads.", HeadOutput.ToTensors()));

    /// <param name="device">Where the statistics are rebuilt: the compute device (cache entries are stored on the CPU).</param>
    public static AttentionStatistics FromTensors(IReadOnlyDictionary<string, Tensor> t, string source, Device? device = null) => new()
    {
        Fit = UnitContributionStats.FromTensors(Part(t, "fit."), source, device),
        Held = UnitContributionStats.FromTensors(Part(t, "held."), source, device),
        Input = ChannelMomentStats.FromTensors(Part(t, "input."), source, device),
        HeadOutput = ChannelMomentStats.FromTensors(Part(t, "heads."), source, device),
    };

    /// <summary>Every state tensor, named, for <see cref="DevicePlacement"/>.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() =>
    [
        ("fit.sum", Fit.Sums), ("fit.cross", Fit.CrossProducts), ("held.sum", Held.Sums), ("held.cross", Held.CrossProducts),
        ("input.sum", Input.Sum), ("input.sumsq", Input.SumSquares), ("heads.sum", HeadOutput.Sum), ("heads.sumsq", HeadOutput.SumSquares),
    ];

    public void Dispose() { Fit.Dispose(); Held.Dispose(); Input.Dispose(); HeadOutput.Dispose(); }

    private static UnitContributionStats Clone(UnitContributionStats s) => Rebuilt(s.ToTensors());

    private static UnitContributionStats Merge(UnitContributionStats a, UnitContributionStats b)
    {
        var ta = a.ToTensors();
        var tb = b.ToTensors();
        var merged = ta.Keys.ToDictionary(k => k, k => ta[k] + tb[k]);
        foreach (var x in ta.Values.Concat(tb.Values)) x.Dispose();
        return Rebuilt(merged);
    }

    /// <summary>Statistics from <paramref name="tensors"/>, which it disposes (FromTensors copies what it keeps).</summary>
    private static UnitContributionStats Rebuilt(Dictionary<string, Tensor> tensors)
    {
        try { return UnitContributionStats.FromTensors(tensors, "statistics"); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    internal static Dictionary<string, Tensor> Prefixed(params (string Prefix, Dictionary<string, Tensor> Tensors)[] parts) =>
        parts.SelectMany(p => p.Tensors.Select(kv => (p.Prefix + kv.Key, kv.Value))).ToDictionary(x => x.Item1, x => x.Item2);

    internal static Dictionary<string, Tensor> Part(IReadOnlyDictionary<string, Tensor> t, string prefix) =>
        t.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
