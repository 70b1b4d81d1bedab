using System.Globalization;
using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>Where the benchmark reads shared data, keeps its synthetic models and scratch output, and which device prunes.</summary>
public sealed record BenchSettings(string DataDir, string WorkDir, string Device);

/// <summary>What the benchmark measured: the prunes, and the tunes of the tune cases.</summary>
public sealed record BenchOutcome(IReadOnlyList<BenchResult> Results, IReadOnlyList<TuneResult> Tunes);

/// <summary>
/// Runs each case as a <c>slimllm prune --json</c> child process (<paramref name="slimllm"/>; synthetic checkpoints come from
/// <c>slimllm-dev synth</c>, <paramref name="devTool"/>) (without the statistics cache, except the rebuild case, which
/// prunes twice into a fresh cache) and collects what each reports. A tune case then runs <c>slimllm tune --json</c> on the
/// pruned model twice, without and with activation checkpointing. Outputs and caches are deleted after each case.
/// </summary>
public sealed class BenchRunner(ToolProcess slimllm, ToolProcess devTool, BenchSettings settings, Action<string> progress)
{
    /// <summary>The tune cases' training text: about 700 tokens of the calibration text, 40% held out (two or three loss windows per part).</summary>
    public const int TuneTextChars = 3000;

    public BenchOutcome Run(BenchPlan plan)
    {
        var results = new List<BenchResult>();
        var tunes = new List<TuneResult>();
        foreach (var c in plan.Cases)
        {
            var model = c.ModelPath ?? SynthModels.Ensure(c.Synth!, settings.WorkDir, BenchPlan.TokenizerModel(settings.DataDir), devTool, Progress);
            ModelConfig config;
            using (var source = ModelLoader.Open(model)) config = source.Config;
            var scratch = Path.Combine(settings.WorkDir, "run-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                if (c.Rebuild)
                {
                    var cache = Path.Combine(scratch, "cache");
                    results.Add(new BenchResult(c, $"{c.Name} cold", config, Prune(c, model, scratch, ["--cache-dir", cache])));
                    results.Add(new BenchResult(c, $"{c.Name} hit", config, Prune(c, model, scratch, ["--cache-dir", cache])));
                }
                else if (c.Tune is { } spec)
                {
                    results.Add(new BenchResult(c, $"{c.Name}: prune", config, Prune(c, model, scratch, ["--no-cache"])));
                    var pruned = Path.Combine(scratch, "pruned");
                    ModelConfig prunedConfig;
                    using (var source = ModelLoader.Open(pruned)) prunedConfig = source.Config;
                    var text = WriteTuneText(Path.Combine(scratch, "tune.txt"));
                    foreach (var checkpointing in new[] { false, true })
                        tunes.Add(new TuneResult(c, $"{c.Name}{(checkpointing ? " checkpointed" : "")}", prunedConfig, checkpointing,
                            Tune(c.Name, spec, pruned, text, Path.Combine(scratch, "tuned"), checkpointing)));
                }
                else
                {
                    results.Add(new BenchResult(c, c.Name, config, Prune(c, model, scratch, ["--no-cache"])));
                }
            }
            finally
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            }
        }
        return new BenchOutcome(results, tunes);
    }

    private PruneRun Prune(BenchCase c, string model, string scratch, IEnumerable<string> cacheArgs)
    {
        var args = new List<string>
        {
            "prune", "--model", model, "-c", BenchPlan.CalibrationText(settings.DataDir), "--out", Path.Combine(scratch, "pruned"),
            "--target", BenchPlan.TargetReduction, "--samples", I(c.Samples), "--seq-len", I(c.SeqLen), "--device", settings.Device, "--json",
        };
        if (c.PrunedLayers is int p) args.AddRange(["--pruned-layers", I(p)]);
        if (c.EvaluateTokens is int e) args.AddRange(["--eval", BenchPlan.EvaluationText(settings.DataDir), "--max-tokens", I(e)]);
        args.AddRange(cacheArgs);
        progress($"[bench] {c.Name}: {slimllm.CommandLine(args)}");
        var run = PruneRun.Parse(slimllm.Run(args, Progress));
        progress($"[bench] {c.Name}: {run.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s tool time");
        return run;
    }

    private TuneRun Tune(string name, TuneSpec spec, string model, string text, string output, bool checkpointing)
    {
        var args = new List<string>
        {
            "tune", "--model", model, "--text", text, "--out", output, "--steps", I(spec.Steps), "--batch-size", I(spec.BatchSize),
            "--seq-len", I(spec.SeqLen), "--held-out-fraction", "0.4", "--device", settings.Device, "--no-cache", "--json",
        };
        if (checkpointing) args.Add("--activation-checkpointing");
        progress($"[bench] {name}: {slimllm.CommandLine(args)}");
        var clock = new TuneClock();
        var stdout = slimllm.Run(args, line =>
        {
            clock.Observe(line, spec.Steps);
            Progress(line);
        });
        var run = TuneRun.Parse(stdout, clock.StepSeconds(spec.Steps));
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        progress($"[bench] {name}: {run.Seconds.ToString("F2", CultureInfo.InvariantCulture)} s tool time");
        return run;
    }

    /// <summary>The first <see cref="TuneTextChars"/> characters of the calibration text, cut at a space.</summary>
    private string WriteTuneText(string path)
    {
        var all = File.ReadAllText(BenchPlan.CalibrationText(settings.DataDir));
        var head = all.Length <= TuneTextChars ? all : all[..TuneTextChars];
        if (head.LastIndexOf(' ') is var space and > 0 && head.Length < all.Length) head = head[..space];
        File.WriteAllText(path, head);
        return path;
    }

    private void Progress(string line) => progress("[bench]   " + line);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
