using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.DevTools.Bench;
using SlimLLM.Errors;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;

namespace SlimLLM.DevTools.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var cases = new Option<string>("--cases")
        {
            Description = "Comma list: shared (tinystories-llama and stories260k; shared:NAME for one), rebuild (cache-hit rebuild of tinystories-llama), " +
                          "llama-7b (synthetic LLaMA-7B shape, 2 layers, bf16), scaling (custom shape at 4 and 8 layers, and 8 layers at half the tokens), " +
                          "memory (synthetic LLaMA-7B, 16 layers: slow, never part of all), evaluate (synthetic LLaMA-7B, 4 layers, with perplexity on 8,192 " +
                          "wikitext-2 tokens; evaluate:N for N tokens; slow, never part of all), tune (synthetic LLaMA-7B, 4 layers, pruned with 8 x 128 " +
                          "calibration tokens, then slimllm tune for 2 steps of 8 x 128 tokens without and with activation checkpointing: peak memory, " +
                          "seconds per step and the activation bytes per layer and token; tune:B for B windows per step; slow, never part of all), all (= shared,rebuild,llama-7b,scaling).",
            DefaultValueFactory = _ => "shared,rebuild",
        };
        var work = new Option<string?>("--work") { Description = "Folder for the synthetic models (generated once, reused) and scratch output (default: bench/ in the slimllm cache)." };
        var data = new Option<string?>("--data") { Description = "The shared data folder with models/ and text/ (default: SLIMLLM_SHARED_DATA, else shared/data in the current folder, the tool's, or a folder above either)." };
        var samples = new Option<int>("--samples") { Description = "Calibration sequences per case (scaling's smaller token count is half).", DefaultValueFactory = _ => 32 };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per calibration sequence.", DefaultValueFactory = _ => 128 };
        var peak = new Option<double?>("--peak-tflops") { Description = "The device's peak TFLOP/s (e.g. 989 for an H200 in bf16): the forward GFLOP/s column then shows its share." };
        var markdown = new Option<bool>("--markdown") { Description = "Print the table as Markdown (for docs)." };
        var device = CommonOptions.Device();
        var json = new Option<bool>("--json") { Description = "Print every case's raw prune --json (and tune --json) result, the shapes and the derived numbers as one JSON object." };
        var cmd = new Command("bench", "Time each pruning phase and peak memory, one `slimllm prune` child process per case (and `slimllm tune` for the tune cases), and print one table (two with tune cases).")
            { cases, work, data, samples, seqLen, device, peak, markdown, json };
        cmd.SetAction(r =>
        {
            if (r.GetValue(samples) < 1 || r.GetValue(seqLen) < 2)
                throw new SlimLLMException(null, "--samples must be at least 1 and --seq-len at least 2.", "E.g. --samples 32 --seq-len 128.");
            var dataDir = Path.GetFullPath(r.GetValue(data) ?? SharedData.Find()
                ?? throw new SlimLLMException(null, "the shared data folder (models/ and text/) was not found.", "Pass --data DIR or set SLIMLLM_SHARED_DATA."));
            var settings = new BenchSettings(dataDir, Path.GetFullPath(r.GetValue(work) ?? Path.Combine(StatisticsCache.ResolveRoot(null), "bench")), r.GetValue(device)!);
            var plan = BenchPlan.Create(r.GetValue(cases)!, dataDir, r.GetValue(samples), r.GetValue(seqLen));
            foreach (var path in plan.Cases.Select(c => c.ModelPath).Append(BenchPlan.CalibrationText(dataDir)).Append(BenchPlan.TokenizerModel(dataDir)).OfType<string>())
                if (!File.Exists(path) && !Directory.Exists(path))
                    throw new SlimLLMException(path, "benchmark input not found.", "Pass --data with the shared data folder (models/ and text/).");

            var machine = MachineInfo.Describe(settings.Device);
            Console.Error.WriteLine($"[bench] {machine}");
            var libtorch = r.GetValue(BackendStartup.LibTorchOption);
            var outcome = new BenchRunner(ToolProcess.Slimllm(libtorch), ToolProcess.Self(libtorch), settings, Console.Error.WriteLine).Run(plan);
            var report = new BenchReport(machine, outcome.Results, plan.Pairs, r.GetValue(peak)) { Tunes = outcome.Tunes };
            if (r.GetValue(json)) Console.Out.WriteLine(report.ToJson().ToJsonString(Tool.Cli.Json.Options));
            else Console.Out.Write(report.Render(r.GetValue(markdown)));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
