using SlimLLM.Pipeline;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

/// <summary>
/// What `slimllm prune` prints: a summary per model, or with --json the report (version <see cref="ReportVersion"/>,
/// documented in docs/msbuild.md: per model the result, incl. a failed gate's perplexities and the rejected folder, and on a
/// failure the errors), which is the contract with SlimLLM.Build's task. Gate failures are also one `error:` line each on stderr.
/// </summary>
public static class PruneOutput
{
    /// <summary>The version of the --json report; a change that a reader of version 1 would misread gets a new one.</summary>
    public const int ReportVersion = 1;

    /// <summary>
    /// Runs <paramref name="prune"/> (which adds a report per model) and prints the outcome. With --json a failure prints the
    /// report of the models done so far and the errors (as <see cref="ErrorHandling"/> describes them), then goes on to
    /// <see cref="ErrorHandling.Run"/> for the stderr line and the exit code.
    /// </summary>
    public static int Run(bool json, StderrProgress progress, Action<List<PruneReport>> prune)
    {
        var reports = new List<PruneReport>();
        try { prune(reports); }
        catch (Exception e) when (json)
        {
            PrintJson(reports, progress.Warnings, ErrorHandling.Describe(e).Errors);
            throw;
        }
        if (json) PrintJson(reports, progress.Warnings, []);
        else PrintSummary(reports);
        var failed = reports.SelectMany(r => r.Evaluation.Where(e => e.Failed).Select(e => (r, e))).ToList();
        foreach (var (r, e) in failed)
            Console.Error.WriteLine($"error: {r.Name}: perplexity on {e.Text} rose from {e.DensePerplexity:F3} to {e.PrunedPerplexity:F3} " +
                                    $"({e.PerplexityIncrease:+0.0%;-0.0%}), above the allowed {e.MaxPerplexityIncrease:+0.0%;-0.0%}. The rejected model is in {r.Output}; " +
                                    "the previous output was left as it was. Prune less (lower target) or raise max_perplexity_increase.");
        return failed.Count > 0 ? ExitCodes.GateFailed : ExitCodes.Success;
    }

    private static void PrintJson(IReadOnlyList<PruneReport> reports, IReadOnlyList<string> warnings, IReadOnlyList<ToolError> errors) =>
        Json.Print(new
        {
            version = ReportVersion,
            models = reports.Select(r => new
            {
                name = r.Name,
                output = r.Output,
                rejected = r.Rejected,
                forward_passes = r.ForwardPasses,
                cache = new { hits = r.Cache.Hits, misses = r.Cache.Misses },
                timings = r.Timings,
                parameters = new
                {
                    before = r.Parameters.Before, after = r.Parameters.After,
                    decoder_before = r.Parameters.DecoderBefore, decoder_after = r.Parameters.DecoderAfter,
                    target_reduction = r.Parameters.TargetReduction, achieved_decoder_reduction = r.Parameters.AchievedDecoderReduction,
                },
                evaluation = r.Evaluation.Select(e => new
                {
                    text = e.Text, dense_perplexity = e.DensePerplexity, pruned_perplexity = e.PrunedPerplexity,
                    max_perplexity_increase = e.MaxPerplexityIncrease, failed = e.Failed,
                    gguf_type = e.GgufType, quantized_perplexity = e.QuantizedPerplexity, untuned_perplexity = e.UntunedPerplexity,
                }),
                tuning = r.Tuning is not { } tuning ? null : new
                {
                    cached = tuning.Cached, forward_passes = tuning.ForwardPasses, backward_passes = tuning.BackwardPasses,
                    train_loss_start = tuning.Losses.TrainStart, train_loss_end = tuning.Losses.TrainEnd,
                    held_out_loss_start = tuning.Losses.HeldOutStart, held_out_loss_end = tuning.Losses.HeldOutEnd,
                },
                layers = (r.LayerTimings ?? []).Select(l => new
                {
                    layer = l.Layer, forward_seconds = l.ForwardSeconds, statistics_forward_seconds = l.StatisticsForwardSeconds,
                    statistics_seconds = l.StatisticsSeconds,
                    selection_seconds = l.SelectionSeconds, regression_seconds = l.RegressionSeconds,
                    phases = l.Phases, peak_rss_bytes = l.PeakRssBytes, peak_device_bytes = l.PeakDeviceBytes,
                }),
                peak_rss_bytes = SlimLLM.Diagnostics.ProcessMemory.PeakResidentBytes(),
                inputs = r.Inputs ?? [],
            }),
            warnings = warnings.Select(w => new { message = w }),
            errors = errors.Select(e => new { code = e.Code, file = e.File, line = e.Line, column = e.Column, message = e.Message }),
        });

    private static void PrintSummary(IReadOnlyList<PruneReport> reports)
    {
        foreach (var r in reports)
        {
            Console.Out.WriteLine($"{r.Name}: {r.Output}{(r.Rejected ? " (rejected: an evaluate gate failed)" : "")}");
            Console.Out.WriteLine($"  parameters {r.Parameters.Before:N0} -> {r.Parameters.After:N0} (decoder layers {-r.Parameters.AchievedDecoderReduction:+0.0%;-0.0%}" +
                                  (r.Parameters.TargetReduction is double t ? $", target {-t:+0.0%;-0.0%})" : ")"));
            foreach (var e in r.Evaluation)
                Console.Out.WriteLine($"  {Path.GetFileName(e.Text)}: perplexity {e.DensePerplexity:F3} -> {e.PrunedPerplexity:F3} ({e.PerplexityIncrease:+0.0%;-0.0%})" +
                                      (e.UntunedPerplexity is double u ? $"; {u:F3} before tuning" : "") +
                                      (e.QuantizedPerplexity is double q ? $"; {q:F3} with the weights as model.gguf's {e.GgufType}" : ""));
            if (r.Tuning is { } tuning)
                Console.Out.WriteLine($"  tuning: loss {tuning.Losses.TrainStart:F4} -> {tuning.Losses.TrainEnd:F4}, held out {tuning.Losses.HeldOutStart:F4} -> {tuning.Losses.HeldOutEnd:F4}" +
                                      (tuning.Cached ? " (adapters from the cache)" : $" ({tuning.BackwardPasses} steps)"));
            Console.Out.WriteLine($"  {r.ForwardPasses} calibration forward passes, {r.Timings["total_seconds"]:F1} s");
        }
    }
}
