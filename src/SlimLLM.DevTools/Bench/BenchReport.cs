using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SlimLLM.DevTools.Bench;

/// <summary>The benchmark's output: the machine line, the table, and notes on the rebuild and scaling cases.</summary>
public sealed record BenchReport(string Machine, IReadOnlyList<BenchResult> Results, IReadOnlyList<ScalingPair> Pairs, double? PeakTflops = null)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A cache-hit rebuild of the shared model should take less tool time than this.</summary>
    public const double RebuildGoalSeconds = 1.0;

    /// <summary>The tune cases' runs, printed as a second table after the prunes'.</summary>
    public IReadOnlyList<TuneResult> Tunes { get; init; } = [];

    public IReadOnlyList<string> Notes
    {
        get
        {
            var notes = new List<string>();
            foreach (var hit in Results.Where(r => r.Case.Rebuild && r.Label.EndsWith(" hit", StringComparison.Ordinal)))
            {
                var t = hit.Run.TotalSeconds;
                notes.Add(string.Create(Inv, $"{hit.Case.Name}: cache-hit run {t:F2} s tool time (goal < {RebuildGoalSeconds:F0} s: {(t < RebuildGoalSeconds ? "met" : "missed")}), " +
                                             $"{hit.Run.ForwardPasses} forward passes, cache {hit.Run.CacheHits} hits / {hit.Run.CacheMisses} misses"));
            }
            foreach (var pair in Pairs)
            {
                var a = Results.FirstOrDefault(r => r.Label == pair.Smaller)?.Run;
                var b = Results.FirstOrDefault(r => r.Label == pair.Larger)?.Run;
                if (a is null || b is null) continue;
                notes.Add(string.Create(Inv, $"scaling {pair.What}: total {a.TotalSeconds:F2} -> {b.TotalSeconds:F2} s = {b.TotalSeconds / a.TotalSeconds:F2}x, " +
                                             $"forward passes + statistics + selection + regression {a.WorkSeconds:F2} -> {b.WorkSeconds:F2} s = {b.WorkSeconds / a.WorkSeconds:F2}x " +
                                             $"(linear: {pair.Expected:F2}x)"));
            }
            return notes;
        }
    }

    public string Render(bool markdown)
    {
        var sb = new StringBuilder();
        sb.Append(Machine).Append("\n\n");
        sb.Append(BenchTable.Format(Results, markdown, PeakTflops));
        sb.Append('\n');
        foreach (var line in Notes.Append(BenchTable.Legend))
            sb.Append(markdown ? "- " : "").Append(line).Append('\n');
        if (Tunes.Count == 0) return sb.ToString();
        sb.Append('\n').Append(TuneTable.Format(Tunes, markdown)).Append('\n');
        foreach (var line in TuneTable.Notes(Tunes).Append(TuneTable.Legend))
            sb.Append(markdown ? "- " : "").Append(line).Append('\n');
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["machine"] = Machine,
        ["cases"] = new JsonArray(Results.Select(r => (JsonNode)new JsonObject
        {
            ["case"] = r.Label,
            ["group"] = r.Case.Group,
            ["model"] = r.Case.ModelPath ?? r.Case.Synth!.FolderName,
            ["shape"] = new JsonObject
            {
                ["layers"] = r.Config.NumLayers, ["hidden"] = r.Config.HiddenSize, ["ffn"] = r.Config.Layers[0].IntermediateSize,
                ["heads"] = r.Config.Layers[0].NumHeads, ["kv_heads"] = r.Config.Layers[0].NumKeyValueHeads,
                ["head_dim"] = r.Config.HeadDim, ["vocab"] = r.Config.VocabSize, ["dtype"] = r.Config.TorchDtype,
            },
            ["samples"] = r.Case.Samples,
            ["seq_len"] = r.Case.SeqLen,
            ["forward_flops"] = r.ForwardFlopCount,
            ["forward_gflops_per_second"] = r.ForwardGflops,
            ["extra_over_forward"] = r.Run.ExtraOverForward,
            ["prune"] = r.Run.Raw.DeepClone(),
        }).ToArray()),
        ["tune"] = new JsonArray(Tunes.Select(t => (JsonNode)new JsonObject
        {
            ["case"] = t.Label,
            ["activation_checkpointing"] = t.Checkpointing,
            ["steps"] = t.Spec.Steps, ["batch_size"] = t.Spec.BatchSize, ["seq_len"] = t.Spec.SeqLen,
            ["step_seconds"] = t.Run.StepSeconds,
            ["counted_activation_bytes_per_layer_token"] = TuneMemory.CountedBytesPerLayerToken(t.Config),
            ["tune"] = t.Run.Raw.DeepClone(),
        }).ToArray()),
        ["notes"] = new JsonArray(Notes.Concat(TuneTable.Notes(Tunes)).Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
    };
}
