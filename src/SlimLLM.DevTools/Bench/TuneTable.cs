using System.Globalization;

namespace SlimLLM.DevTools.Bench;

/// <summary>The table of the tune cases: per run its step time, peak memory and loss; and the derived activation memory.</summary>
public static class TuneTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string Legend =
        "tune: slimllm tune of the case's pruned model (the prune row above), --no-cache; s/step: seconds per training step " +
        "(forward, backward and AdamW; from the progress lines); total: tool time including loading, the start and end losses, " +
        "merging and writing; peak RSS: VmHWM of the tune process; loss: the training loss before the first and after the last step";

    private static readonly IReadOnlyList<TableColumn<TuneResult>> Columns =
    [
        new("case", true, r => r.Label),
        new("pruned shape", true, r => r.Shape),
        new("tokens/step", false, r => $"{r.Spec.BatchSize}x{r.Spec.SeqLen}"),
        new("checkpointing", true, r => r.Checkpointing ? "yes" : "no"),
        new("steps", false, r => r.Run.BackwardPasses.ToString(Inv)),
        new("s/step", false, r => BenchTable.Seconds(r.Run.StepSeconds)),
        new("total", false, r => BenchTable.Seconds(r.Run.Seconds)),
        new("peak RSS", false, r => BenchTable.Bytes(r.Run.PeakRssBytes)),
        new("loss", false, r => string.Create(Inv, $"{r.Run.TrainLossStart:F4} -> {r.Run.TrainLossEnd:F4}")),
    ];

    public static IReadOnlyList<string> Headers => Columns.Select(c => c.Header).ToList();

    public static string Format(IReadOnlyList<TuneResult> rows, bool markdown) => TextTable.Format(Columns, rows, markdown);

    /// <summary>
    /// Per case run both ways: what checkpointing saved per token and the step-time ratio. Per pair of cases at different
    /// batch sizes: the whole graph's peak growth per token, and from it the activations per layer and token against the
    /// counted ones.
    /// </summary>
    public static IEnumerable<string> Notes(IReadOnlyList<TuneResult> rows)
    {
        foreach (var group in rows.GroupBy(r => r.Case.Name))
        {
            var whole = group.FirstOrDefault(r => !r.Checkpointing);
            var checkpointed = group.FirstOrDefault(r => r.Checkpointing);
            if (whole is null || checkpointed is null) continue;
            var saved = TuneMemory.CheckpointingSavedBytesPerToken(whole, checkpointed);
            var ratio = whole.Run.StepSeconds is double a && checkpointed.Run.StepSeconds is double b && a > 0 ? $"{b / a:F2}x" : "-";
            yield return string.Create(Inv,
                $"{group.Key}: checkpointing lowered the peak RSS by {Kb(saved)} per token of a step ({whole.TokensPerStep} tokens, {whole.Config.NumLayers} layers); " +
                $"step time with checkpointing {ratio} of without");
        }
        var wholeRuns = rows.Where(r => !r.Checkpointing).OrderBy(r => r.TokensPerStep).ToList();
        foreach (var (smaller, larger) in wholeRuns.Zip(wholeRuns.Skip(1)).Where(p => p.First.Case.Synth == p.Second.Case.Synth))
        {
            if (TuneMemory.PeakBytesPerToken(smaller, larger) is not double slope) continue;
            yield return string.Create(Inv,
                $"whole graph, {smaller.TokensPerStep} -> {larger.TokensPerStep} tokens per step: the peak grows {Kb(slope)} per token; less the logits' " +
                $"{Kb(TuneMemory.LogitBytesPerToken(larger.Config))} (3 x 4 B x vocab), over {larger.Config.NumLayers} layers: " +
                $"{Kb(TuneMemory.LayerBytesPerToken(slope, larger.Config))} per layer and token (counted, float32: {Kb(TuneMemory.CountedBytesPerLayerToken(larger.Config))})");
        }
    }

    private static string Kb(double? bytes) => bytes is double b ? (b / 1e3).ToString("F0", Inv) + " kB" : "-";
}
