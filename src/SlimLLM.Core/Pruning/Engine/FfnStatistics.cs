using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>Ratio-independent statistics of one layer's FFN block, taken on the output of the chosen attention block.</summary>
public sealed class FfnStatistics : IDisposable
{
    public required ChannelMomentStats Input { get; init; }
    public required ChannelMomentStats Activation { get; init; }
    public required OutputCovarianceStats Output { get; init; }
    /// <summary>
    /// SlimLLM's channel scores (I_gate + I_up + I_down, length m). They depend only on these statistics and the dense FFN
    /// weights, not on any ratio, so they are computed once with the statistics (the float64 eigh is the costly part) and cached.
    /// </summary>
    public required Tensor ChannelScores { get; init; }

    public Dictionary<string, Tensor> ToTensors() => AttentionStatistics.Prefixed(("input.", Input.ToTensors()), ("act.", Activation.ToTensors()),
        ("out.", Output.ToTensors()), ("", new Dictionary<string, Tensor> { ["channel_scores"] = ChannelScores.clone() }));

    /// <param name="device">Where the statistics are rebuilt: the compute device (cache entries are stored on the CPU).</param>
    public static FfnStatistics FromTensors(IReadOnlyDictionary<string, Tensor> t, string source, Device? device = null) => new()
    {
        Input = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "input."), source, device),
        Activation = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "act."), source, device),
        Output = OutputCovarianceStats.FromTensors(AttentionStatistics.Part(t, "out."), source, device),
        ChannelScores = t.TryGetValue("channel_scores", out var scores) ? scores.to(scores.dtype, device ?? scores.device, copy: true)
            : throw new Errors.SlimLLMException(source, "the cache entry has no channel_scores.", "It is recomputed."),
    };

    /// <summary>Every state tensor, named, for <see cref="DevicePlacement"/>.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() =>
    [
        ("input.sum", Input.Sum), ("input.sumsq", Input.SumSquares), ("act.sum", Activation.Sum), ("act.sumsq", Activation.SumSquares),
        ("out.sum", Output.Sum), ("out.gram", Output.Gram), ("channel_scores", ChannelScores),
    ];

    public void Dispose() { Input.Dispose(); Activation.Dispose(); Output.Dispose(); ChannelScores.Dispose(); }
}
