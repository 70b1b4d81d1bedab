using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>One measured <c>slimllm tune</c> of a case's pruned model, with or without activation checkpointing.</summary>
public sealed record TuneResult(BenchCase Case, string Label, ModelConfig Config, bool Checkpointing, TuneRun Run)
{
    public TuneSpec Spec => Case.Tune!;

    public int TokensPerStep => Spec.BatchSize * Spec.SeqLen;

    /// <summary>"layers x hidden/FFN min-max, heads min-max" of the pruned model (its layers differ).</summary>
    public string Shape
    {
        get
        {
            static string Range(IEnumerable<int> v) => v.Min() == v.Max() ? $"{v.Min()}" : $"{v.Min()}-{v.Max()}";
            return $"{Config.NumLayers}x{Config.HiddenSize}/{Range(Config.Layers.Select(l => l.IntermediateSize))}, {Range(Config.Layers.Select(l => l.NumHeads))}";
        }
    }
}
