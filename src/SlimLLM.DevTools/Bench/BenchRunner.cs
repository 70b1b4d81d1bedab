using System.Globalization;
using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>Where the benchmark reads shared data, keeps its synthetic models and scratch output, and which device prunes.</summary>
public sealed record BenchSettings(string DataDir, string WorkDir, string Device);

/// <summary>
/// Runs each case as a <c>slimllm prune --json</c> child process (<paramref name="slimllm"/>; synthetic checkpoints come from
/// <c>slimllm-dev synth</c>, <paramref name="devTool"/>) (without the statistics cache, except the rebuild case, which
/// prunes twice into a fresh cache) and collects what each reports. Pruned outputs and caches are deleted after each case.
/// </summary>
public sealed class BenchRunner(ToolProcess slimllm, ToolProcess devTool, BenchSettings settings, Action<string> progress)
{
    public IReadOnlyList<BenchResult> Run(BenchPlan plan)
    {
        var results = new List<BenchResult>();
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
        return results;
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

    private void Progress(string line) => progress("[bench]   " + line);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
