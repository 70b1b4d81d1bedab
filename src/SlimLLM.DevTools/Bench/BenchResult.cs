using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>One measured row: the case, the shape of the model it pruned and what <c>prune --json</c> reported.</summary>
public sealed record BenchResult(BenchCase Case, string Label, ModelConfig Config, PruneRun Run)
{
    /// <summary>"layers x hidden/FFN, heads/KV heads" of the first decoder layer (benchmark models are uniform).</summary>
    public string Shape => $"{Config.NumLayers}x{Config.HiddenSize}/{Config.Layers[0].IntermediateSize}, {Config.Layers[0].NumHeads}/{Config.Layers[0].NumKeyValueHeads}";

    public string Tokens => $"{Case.Samples}x{Case.SeqLen}";

    /// <summary>FLOPs of the dense calibration forward through the layers the run timed; null without per-layer times.</summary>
    public long? ForwardFlopCount => Run.Layers is { Count: > 0 } layers
        ? ForwardFlops.Layers(Config, layers.Select(l => l.Layer), Case.Samples, Case.SeqLen)
        : null;

    /// <summary>Achieved GFLOP/s of the dense calibration forward; null without per-layer times.</summary>
    public double? ForwardGflops => ForwardFlopCount is long f && Run.LayerForwardSeconds is double s && s > 0 ? f / s / 1e9 : null;
}
