using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Export;
using SlimLLM.Pipeline;
using SlimLLM.Tool.Cli;
using SlimLLM.Tuning;

namespace SlimLLM.Tool.Commands;

/// <summary><c>slimllm tune</c>: LoRA recovery tuning of a model slimllm pruned, the manifest's <c>tuning:</c> as options.</summary>
public static class TuneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The pruned model folder (an output of slimllm prune).", Required = true };
        var text = new Option<string[]>("--text", "-t") { Description = "Training text file(s), UTF-8; the last --held-out-fraction of its tokens is held out.", AllowMultipleArgumentsPerToken = true, Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder for the tuned model: new, empty or an earlier slimllm output.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => TuningSettings.DefaultSteps };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per training window (BOS + seq_len-1 text tokens).", DefaultValueFactory = _ => TuningSettings.DefaultSeqLen };
        var batch = new Option<int>("--batch-size") { Description = "Windows per step.", DefaultValueFactory = _ => TuningSettings.DefaultBatchSize };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => TuningSettings.DefaultRank };
        var alpha = new Option<double>("--alpha") { Description = "LoRA alpha: the update is (alpha/r)·B·A.", DefaultValueFactory = _ => TuningSettings.DefaultAlpha };
        var rate = new Option<double>("--learning-rate") { Description = "Peak AdamW learning rate.", DefaultValueFactory = _ => TuningSettings.DefaultLearningRate };
        var schedule = new Option<string>("--schedule") { Description = "cosine | linear decay after the warm-up.", DefaultValueFactory = _ => "cosine" };
        var warmup = new Option<int?>("--warmup-steps") { Description = "Linear warm-up steps (default: a tenth of --steps)." };
        var decay = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay of the adapters.", DefaultValueFactory = _ => TuningSettings.DefaultWeightDecay };
        var clip = new Option<double>("--max-grad-norm") { Description = "Clip the global gradient norm to this.", DefaultValueFactory = _ => TuningSettings.DefaultMaxGradNorm };
        var heldOut = new Option<double>("--held-out-fraction") { Description = "Fraction of the text's tokens (the last) held out for the held-out loss.", DefaultValueFactory = _ => TuningSettings.DefaultHeldOutFraction };
        var targets = new Option<string>("--targets") { Description = $"Comma-separated projections to adapt ({string.Join(",", LoraTargets.Names)}).", DefaultValueFactory = _ => string.Join(",", LoraTargets.Names) };
        var seed = new Option<int>("--seed") { Description = "Seed of the adapters' initialisation and of the training windows.", DefaultValueFactory = _ => TuningSettings.DefaultSeed };
        var checkpointing = new Option<bool>("--activation-checkpointing") { Description = "Keep only each layer's input and recompute the layer in the backward pass (less memory, one more forward pass)." };
        var gguf = new Option<string?>("--gguf") { Description = "Also write model.gguf of this type: " + string.Join(" | ", GgufOutputTypes.Names) + "." };
        var eval = new Option<string[]>("--eval") { Description = "Text file(s) to measure the perplexity on before and after tuning.", AllowMultipleArgumentsPerToken = true };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Evaluate only the first N tokens of each --eval text." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache folder (overrides SLIMLLM_CACHE): an unchanged rerun takes the adapters from it." };
        var noCache = new Option<bool>("--no-cache") { Description = "Train again; read and write no cache." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var cmd = new Command("tune", "Recovery-tune a pruned model with LoRA (frozen weights, adapters trained on --text, then merged) into a new model folder.")
        {
            model, text, output, steps, seqLen, batch, rank, alpha, rate, schedule, warmup, decay, clip, heldOut, targets, seed, checkpointing, gguf, eval, maxTokens,
            cacheDir, noCache, device, json,
        };
        cmd.SetAction(r =>
        {
            var settings = new TuningSettings
            {
                Files = r.GetValue(text)!.Select(Path.GetFullPath).ToList(),
                Steps = r.GetValue(steps), SeqLen = r.GetValue(seqLen), BatchSize = r.GetValue(batch), Rank = r.GetValue(rank),
                Alpha = r.GetValue(alpha), LearningRate = r.GetValue(rate), Schedule = Schedule(r.GetValue(schedule)!), WarmupSteps = r.GetValue(warmup),
                WeightDecay = r.GetValue(decay), MaxGradNorm = r.GetValue(clip), HeldOutFraction = r.GetValue(heldOut), Targets = Targets(r.GetValue(targets)!),
                Seed = r.GetValue(seed), ActivationCheckpointing = r.GetValue(checkpointing),
            };
            if (settings.Problems().FirstOrDefault() is { Option: { } option, Problem: var problem, Fix: var fix })
                throw new SlimLLMException(null, $"--{option.Replace('_', '-')} {problem}", fix);
            var job = new TuneJob
            {
                ModelPath = r.GetValue(model)!, OutputDir = r.GetValue(output)!, Settings = settings, Device = r.GetValue(device)!,
                Evaluate = (r.GetValue(eval) ?? []).Select(e => new EvaluationSpec(Path.GetFullPath(e), r.GetValue(maxTokens))).ToList(),
                Gguf = r.GetValue(gguf) is { } g ? GgufOutputTypes.Parse(g) : null,
            };
            var cacheRoot = r.GetValue(noCache) ? null : StatisticsCache.ResolveRoot(r.GetValue(cacheDir));
            var report = new TunePipeline(new StderrProgress(), cacheRoot, Signals.Token).Run(job);
            var t = report.Tuning;
            if (r.GetValue(json))
                Json.Print(new
                {
                    name = report.Name, output = report.Output, cached = t.Cached, forward_passes = t.ForwardPasses, backward_passes = t.BackwardPasses,
                    train_loss_start = t.Losses.TrainStart, train_loss_end = t.Losses.TrainEnd, held_out_loss_start = t.Losses.HeldOutStart, held_out_loss_end = t.Losses.HeldOutEnd,
                    evaluation = report.Perplexities.Select(p => new { text = p.Text, untuned_perplexity = p.Untuned, tuned_perplexity = p.Tuned }),
                    cache = new { hits = report.Cache.Hits, misses = report.Cache.Misses }, seconds = report.Seconds,
                    peak_rss_bytes = SlimLLM.Diagnostics.ProcessMemory.PeakResidentBytes(),
                });
            else
            {
                Console.Out.WriteLine($"{report.Name}: {report.Output}");
                Console.Out.WriteLine($"  tuning: loss {t.Losses.TrainStart:F4} -> {t.Losses.TrainEnd:F4}, held out {t.Losses.HeldOutStart:F4} -> {t.Losses.HeldOutEnd:F4}" +
                                      (t.Cached ? " (adapters from the cache)" : $" ({t.BackwardPasses} steps)") + $", {report.Seconds:F1} s");
                foreach (var (path, untuned, tuned) in report.Perplexities)
                    Console.Out.WriteLine($"  {Path.GetFileName(path)}: perplexity {untuned:F3} -> {tuned:F3} ({tuned / untuned - 1:+0.0%;-0.0%})");
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static LearningRateSchedule Schedule(string name) => name.ToLowerInvariant() switch
    {
        "cosine" => LearningRateSchedule.Cosine,
        "linear" => LearningRateSchedule.Linear,
        _ => throw new SlimLLMException(null, $"--schedule '{name}' is not a learning-rate schedule.", "Use cosine or linear."),
    };

    private static IReadOnlyList<string> Targets(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names.Where(n => !LoraTargets.Names.Contains(n)))
            throw new SlimLLMException(null, $"--targets names '{n}', which is not a LoRA target{(Manifest.DidYouMean.Suggest(n, LoraTargets.Names) is { } s ? $" (did you mean {s}?)" : "")}.",
                $"Use a comma-separated list of {string.Join(", ", LoraTargets.Names)}.");
        if (names.Length == 0) throw new SlimLLMException(null, "--targets lists no projection.", $"Name at least one of {string.Join(", ", LoraTargets.Names)}.");
        return LoraTargets.Names.Where(names.Contains).ToList();
    }
}
