using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model to prune: a Hugging Face folder or a .gguf file." };
        var calibration = new Option<string[]>("--calibration", "-c") { Description = "Calibration text file(s), UTF-8.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder for the pruned model: new, empty or an earlier slimllm output (replaced atomically; a folder holding other files is refused)." };
        var method = new Option<string>("--method") { Description = string.Join(" | ", MethodRegistry.MethodNames) + ".", DefaultValueFactory = _ => MethodRegistry.DefaultMethod.Name };
        var target = new Option<double?>("--target") { Description = "Fraction of decoder-layer parameters to remove, e.g. 0.2." };
        var ratio = new Option<double?>("--ratio") { Description = "The paper's mean per-layer ratio R (instead of --target)." };
        var prunedLayers = new Option<int?>("--pruned-layers") { Description = "P: how many of the most self-similar layers are pruned." };
        var alpha = new Option<double?>("--alpha") { Description = "Softmax sharpness of the per-layer ratios." };
        var maxRatio = new Option<double>("--max-ratio") { Description = "Clip for any one layer's ratio.", DefaultValueFactory = _ => 0.9 };
        var recovery = new Option<string?>("--recovery") { Description = string.Join(" | ", MethodRegistry.RecoveryNames) + " (default: the method's own)." };
        var attentionCriterion = new Option<string?>("--attention-criterion") { Description = string.Join(" | ", MethodRegistry.MethodNames) + ": picks the KV groups instead of --method's." };
        var ffnCriterion = new Option<string?>("--ffn-criterion") { Description = string.Join(" | ", MethodRegistry.MethodNames) + ": picks the FFN channels instead of --method's (flap: fluctuation)." };
        var keepLowest = new Option<bool>("--no-keep-lowest-1pct") { Description = "Do not protect the lowest-scoring 1% of FFN channels (the authors' rule)." };
        var channelMultiple = new Option<int>("--channel-multiple") { Description = "Round every layer's kept FFN width to a multiple of N (32 for q8_0/q4_0 GGUF).", DefaultValueFactory = _ => 1 };
        var samples = new Option<int>("--samples") { Description = "Calibration sequences.", DefaultValueFactory = _ => 32 };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per calibration sequence.", DefaultValueFactory = _ => 128 };
        var seed = new Option<int>("--seed") { Description = "Seed for drawing calibration sequences.", DefaultValueFactory = _ => 42 };
        var mode = new Option<string>("--mode") { Description = string.Join(" | ", MethodRegistry.ModeNames) + $" ({MethodRegistry.ModeName(CalibrationMode.Sequential)} is the paper's).", DefaultValueFactory = _ => MethodRegistry.ModeName(CalibrationMode.Sequential) };
        var eval = new Option<string[]>("--eval") { Description = "Text file(s) to measure dense and pruned perplexity on.", AllowMultipleArgumentsPerToken = true };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Evaluate only the first N tokens of each --eval text." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var manifest = new Argument<string?>("MANIFEST")
        {
            Description = "slimllm.yaml to prune every model of (default ./slimllm.yaml). Without --model, this is what runs.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Importance-statistics cache folder (overrides SLIMLLM_CACHE and the manifest's cache)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute every statistic; read and write no cache." };
        var offline = new Option<bool>("--offline")
        {
            Description = "Use only models already downloaded (NuGet and Hugging Face sources resolve from their caches); a missing one is an error, not a download. HF_HUB_OFFLINE=1 does the same for the hub.",
        };
        var verify = new Option<bool>("--verify") { Description = "Hash the model's files again instead of trusting the fingerprint memo (size, times, inode)." };
        var cmd = new Command("prune", "Prune the models of a slimllm.yaml manifest, or one model given by --model, and write the pruned model folders.")
        {
            manifest, cacheDir, noCache, offline, verify, model, calibration, output, method, target, ratio, prunedLayers, alpha, maxRatio, recovery, attentionCriterion, ffnCriterion, keepLowest,
            channelMultiple, samples, seqLen, seed, mode, eval, maxTokens, device, json,
        };
        cmd.SetAction(r =>
        {
            if (r.GetValue(model) is null)
                return ManifestPrune.Run(r.GetValue(manifest) ?? ManifestLoader.DefaultFileName, r.GetValue(device), r.GetValue(cacheDir), r.GetValue(noCache), r.GetValue(json),
                    r.GetValue(verify), r.GetValue(offline));
            if (r.GetValue(manifest) is { } m)
                throw new SlimLLMException(m, "a manifest and --model were both given.", "Prune either a manifest or one --model, not both.");
            var modelPath = r.GetValue(model)!;
            var (rec, none) = PruneNames.Recovery(r.GetValue(recovery));
            double? t = r.GetValue(target), rr = r.GetValue(ratio);
            if (t is null == rr is null)
                throw new SlimLLMException(null, "give exactly one of --target and --ratio.", "E.g. --target 0.2 removes 20% of the decoder-layer parameters.");
            var settings = new PruneSettings
            {
                Method = PruneNames.Method(r.GetValue(method)!),
                AttentionMethod = PruneNames.Criterion(r.GetValue(attentionCriterion), "--attention-criterion"),
                FfnMethod = PruneNames.Criterion(r.GetValue(ffnCriterion), "--ffn-criterion"),
                Ratio = new RatioSpec(t, rr, r.GetValue(prunedLayers), r.GetValue(alpha), r.GetValue(maxRatio)),
                Mode = PruneNames.Mode(r.GetValue(mode)!),
                Recovery = rec,
                NoRecovery = none,
                KeepLowestOnePercent = !r.GetValue(keepLowest),
                ChannelMultiple = r.GetValue(channelMultiple) is var cm and >= 1 and <= Manifest.PruningSpec.MaxChannelMultiple ? cm
                    : throw new SlimLLMException(null, $"--channel-multiple is {r.GetValue(channelMultiple)}, outside 1 to {Manifest.PruningSpec.MaxChannelMultiple}.",
                        "Give a multiple such as 32 (llama.cpp's q8_0 and q4_0 blocks), or 1 for none."),
            };
            var job = new PruneJob
            {
                Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(r.GetValue(output) ?? "pruned")),
                ModelPath = modelPath,
                CalibrationFiles = (r.GetValue(calibration) ?? []).Select(Path.GetFullPath).ToList(),
                Samples = r.GetValue(samples),
                SeqLen = r.GetValue(seqLen),
                Seed = r.GetValue(seed),
                Settings = settings,
                Evaluate = (r.GetValue(eval) ?? []).Select(e => new EvaluationSpec(Path.GetFullPath(e), r.GetValue(maxTokens))).ToList(),
                OutputDir = Path.GetFullPath(r.GetValue(output) ?? throw new SlimLLMException(null, "no output folder given.", "Pass --out FOLDER.")),
                Device = r.GetValue(device)!,
            };
            var cacheRoot = r.GetValue(noCache) ? null : StatisticsCache.ResolveRoot(r.GetValue(cacheDir));
            var progress = new StderrProgress();
            return PruneOutput.Run(r.GetValue(json), progress, reports => reports.Add(new PrunePipeline(progress, cacheRoot, Signals.Token, r.GetValue(verify)).Run(job)));
        });
        return cmd;
    }
}
