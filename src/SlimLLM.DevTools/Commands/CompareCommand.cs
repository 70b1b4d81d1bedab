using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;
using SlimLLM.Tuning;

namespace SlimLLM.DevTools.Commands;

/// <summary>
/// The quality table: dense, SlimLLM (each recovery) and the baselines at several reductions, calibrated on the first part of
/// a text and evaluated on the disjoint rest (plus optional other texts), all in one run with the same calibration and ratios.
/// </summary>
public static class CompareCommand
{
    /// <summary>One table row; <paramref name="Tuning"/> (with its losses and time) only on a row tuned with LoRA after pruning.</summary>
    public sealed record Row(string Method, string Recovery, double? Target, double AchievedDecoder, double AchievedModel, double[] Perplexities, double PruneSeconds,
        string? Tuning = null, TuningLosses? TuningLosses = null, double? TuneSeconds = null);

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var text = new Option<string>("--text") { Description = "Text to calibrate on (first part) and evaluate on (held-out rest).", Required = true };
        var holdout = new Option<double>("--holdout") { Description = "Fraction of --text's tokens held out for evaluation (the end).", DefaultValueFactory = _ => 0.4 };
        var extra = new Option<string[]>("--eval") { Description = "Further evaluation texts (e.g. WikiText-2).", AllowMultipleArgumentsPerToken = true };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Evaluate only the first N tokens of each --eval text." };
        var targets = new Option<string>("--targets") { Description = "Decoder-parameter reductions, comma-separated.", DefaultValueFactory = _ => "0.2,0.5" };
        var methods = new Option<string>("--methods") { Description = $"Comma-separated rows: METHOD[:RECOVERY] with METHOD {string.Join(", ", MethodRegistry.MethodNames)}; METHOD/FFN takes the FFN channels by another criterion (= pruning.ffn_criterion), e.g. slimllm/flap:least-squares.",
            DefaultValueFactory = _ => "slimllm:regression,slimllm:mean-bias,slimllm:ridge,slimllm:least-squares,magnitude,wanda-sp,flap,"
                + "flap:least-squares,slimllm/flap:regression,slimllm/flap:least-squares" };
        var alpha = new Option<double?>("--alpha") { Description = "Softmax sharpness of the per-layer ratios (default: 10 below 35%, 7 above)." };
        var prunedLayers = new Option<int?>("--pruned-layers") { Description = "P: how many of the most self-similar layers are pruned (default: 26/32 of them, 30/32 from 35%)." };
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 32, Description = "Calibration sequences." };
        var seqLen = new Option<int>("--seq-len") { DefaultValueFactory = _ => 128, Description = "Calibration and evaluation window." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42, Description = "Calibration seed." };
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "sequential", Description = string.Join(" | ", MethodRegistry.ModeNames) + "." };
        var tuneSteps = new Option<int>("--tune-steps") { DefaultValueFactory = _ => 0,
            Description = "LoRA steps after pruning (0: none): each pruned row is followed by one tuned row per --tune-lr, tuned on the calibration part of --text (the trainer holds out its last tenth) with the merged weights evaluated." };
        var tuneLr = new Option<string>("--tune-lr") { DefaultValueFactory = _ => TuningSettings.DefaultLearningRate.ToString(CultureInfo.InvariantCulture), Description = "Peak learning rates of the tuned rows, comma-separated." };
        var tuneRank = new Option<int>("--tune-rank") { DefaultValueFactory = _ => TuningSettings.DefaultRank, Description = "LoRA rank of the tuned rows." };
        var tuneAlpha = new Option<double>("--tune-alpha") { DefaultValueFactory = _ => TuningSettings.DefaultAlpha, Description = "LoRA alpha of the tuned rows (scale alpha/rank)." };
        var tuneBatch = new Option<int>("--tune-batch-size") { DefaultValueFactory = _ => TuningSettings.DefaultBatchSize, Description = "Windows of --seq-len per tuning step." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var cmd = new Command("compare", "Print the quality table: perplexity of SlimLLM and the baselines at several reductions, measured side by side.")
            { model, text, holdout, extra, maxTokens, targets, methods, alpha, prunedLayers, samples, seqLen, seed, mode, tuneSteps, tuneLr, tuneRank, tuneAlpha, tuneBatch, device, json };
        cmd.SetAction(r =>
        {
            var progress = new StderrProgress();
            int sl = r.GetValue(seqLen);
            if (r.GetValue(tuneRank) < 1 || r.GetValue(tuneBatch) < 1 || !(r.GetValue(tuneAlpha) > 0))
                throw new SlimLLMException(null, "--tune-rank and --tune-batch-size must be at least 1 and --tune-alpha positive.", "Write e.g. --tune-rank 8 --tune-alpha 16 --tune-batch-size 8.");
            var tunings = r.GetValue(tuneSteps) <= 0 ? [] : CompareTuning.LearningRates(r.GetValue(tuneLr)!).Select(lr => new TuningSettings
            {
                Files = [], Steps = r.GetValue(tuneSteps), LearningRate = lr, Rank = r.GetValue(tuneRank), Alpha = r.GetValue(tuneAlpha),
                SeqLen = sl, BatchSize = r.GetValue(tuneBatch), Seed = r.GetValue(seed),
            }).ToList();
            using var source = ModelLoader.Open(r.GetValue(model)!);
            var compute = ComputeDevice.Resolve(r.GetValue(device), source.Config.TorchDtype);
            var tokenizer = source.Tokenizer;
            var all = tokenizer.Encode(TextCorpus.Read(r.GetValue(text)!), addBos: false);
            int split = (int)(all.Length * (1 - r.GetValue(holdout)));
            var calibration = CalibrationSet.Sample(all[..split], tokenizer.BosId!.Value, r.GetValue(samples), sl, r.GetValue(seed), r.GetValue(text)!);
            var evalSets = new List<(string Name, int[] Tokens)> { ($"{Path.GetFileName(r.GetValue(text))} (held-out)", [tokenizer.BosId!.Value, .. all[split..]]) };
            foreach (var e in r.GetValue(extra) ?? [])
                evalSets.Add((Path.GetFileName(e), Perplexity.Tokenize(tokenizer, TextCorpus.Read(e), r.GetValue(maxTokens))));

            double[] Evaluate(LlamaModel m) => evalSets.Select(e => Perplexity.Evaluate(m, e.Tokens, sl).Perplexity).ToArray();
            var trainingText = tunings.Count == 0 ? null : TrainingText.FromTokens(all[..split], tokenizer.BosId!.Value, tunings[0], $"{r.GetValue(text)} (calibration part)");
            var rows = new List<Row>();
            using (var dense = LlamaModel.Load(source, compute.Device, compute.DType, Math.Max(sl, 128)))
                rows.Add(new Row("dense", "-", null, 0, 0, Evaluate(dense), 0));
            foreach (var target in PruneNames.Fractions(r.GetValue(targets)!))
            {
                foreach (var spec in r.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    // "method[:recovery]", or "attention/ffn[:recovery]" to mix criteria (ablation).
                    var parts = spec.Split(':');
                    var (rec, none) = PruneNames.Recovery(parts.Length > 1 ? parts[1] : null);
                    var criteria = parts[0].Split('/');
                    var settings = new PruneSettings
                    {
                        Method = PruneNames.Method(criteria[0]),
                        FfnMethod = PruneNames.Criterion(criteria.ElementAtOrDefault(1)),
                        Ratio = new RatioSpec(Target: target, PrunedLayers: r.GetValue(prunedLayers), Alpha: r.GetValue(alpha)),
                        Mode = PruneNames.Mode(r.GetValue(mode)!),
                        Recovery = rec,
                        NoRecovery = none,
                    };
                    var sw = Stopwatch.StartNew();
                    using var result = new PruningEngine().Run(source, calibration, settings, compute);
                    double seconds = sw.Elapsed.TotalSeconds;
                    using var pruned = result.ToModel(compute.Device, compute.DType, Math.Max(sl, 128));
                    var recName = settings.EffectiveRecovery?.Name ?? MethodRegistry.NoRecovery;
                    rows.Add(new Row(parts[0], recName, target, result.AchievedDecoderReduction, result.AchievedModelReduction, Evaluate(pruned), seconds));
                    string name = $"{parts[0]} ({recName}) at {(target * 100).ToString("F0", CultureInfo.InvariantCulture)}%";
                    progress.Info($"{name}: " + string.Join(", ", rows[^1].Perplexities.Select(p => p.ToString("F3", CultureInfo.InvariantCulture))));
                    foreach (var tuning in tunings)
                    {
                        sw.Restart();
                        var (tuned, losses) = CompareTuning.TuneAndMerge(result, trainingText!, tuning, compute, Math.Max(sl, 128), progress, $"{name}, {CompareTuning.Label(tuning)}");
                        using (tuned)
                        {
                            double tuneSeconds = sw.Elapsed.TotalSeconds;
                            rows.Add(rows[^1] with { Tuning = CompareTuning.Label(tuning), TuningLosses = losses, TuneSeconds = tuneSeconds, Perplexities = Evaluate(tuned) });
                        }
                        progress.Info($"{name}, {rows[^1].Tuning}: " + string.Join(", ", rows[^1].Perplexities.Select(p => p.ToString("F3", CultureInfo.InvariantCulture))));
                    }
                }
            }
            if (r.GetValue(json))
                Tool.Cli.Json.Print(new
                {
                    model = source.Path, calibration_tokens = calibration.TokenCount, texts = evalSets.Select(e => e.Name),
                    tuning = tunings.Count == 0 ? null : new { steps = tunings[0].Steps, rank = tunings[0].Rank, alpha = tunings[0].Alpha, seq_len = sl, batch_size = tunings[0].BatchSize,
                        seed = tunings[0].Seed, learning_rates = tunings.Select(t => t.LearningRate), training_tokens = trainingText!.TrainingTokens, held_out_tokens = trainingText.HeldOutTokens },
                    rows,
                });
            else Console.Out.Write(Markdown(rows, evalSets.Select(e => e.Name).ToList()));
            return ExitCodes.Success;
        });
        return cmd;
    }

    public static string Markdown(IReadOnlyList<Row> rows, IReadOnlyList<string> texts)
    {
        var ci = CultureInfo.InvariantCulture;
        var w = new StringWriter(ci);
        // The tuning column only when a row was tuned: untuned tables print as they always have.
        bool tuned = rows.Any(r => r.Tuning is not null);
        string Tuning(Row r) => tuned ? " " + (r.Tuning ?? "-") + " |" : "";
        w.WriteLine($"| method | recovery |{(tuned ? " tuning |" : "")} target | decoder params removed | model params removed | {string.Join(" | ", texts.Select(t => "ppl " + t))} | prune s |");
        w.WriteLine($"|---|---|{(tuned ? "---|" : "")}---|---|---|{string.Concat(texts.Select(_ => "---|"))}---|");
        foreach (var r in rows)
            w.WriteLine(string.Format(ci, "| {0} | {1} |{7} {2} | {3} | {4} | {5} | {6:F2} |", r.Method, r.Recovery,
                r.Target is double t ? Percent(t, "F0") : "-", Percent(r.AchievedDecoder, "F1"), Percent(r.AchievedModel, "F1"),
                string.Join(" | ", r.Perplexities.Select(p => p.ToString("F2", ci))), r.PruneSeconds, Tuning(r)));
        return w.ToString();

        // "20.2%", as the tool prints changes (no space before the sign).
        string Percent(double fraction, string format) => (fraction * 100).ToString(format, ci) + "%";
    }
}
