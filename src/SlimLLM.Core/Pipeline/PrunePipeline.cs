using System.Diagnostics;
using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.Pipeline;

/// <summary>
/// One pruning job end to end: open the model, sample calibration text, prune, write the folder under a temporary name,
/// evaluate dense and pruned perplexity, write slimllm.json, then swap the folder into place.
/// </summary>
public sealed class PrunePipeline(IProgressReporter? progress = null, string? cacheRoot = null)
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;

    public PruneReport Run(PruneJob job)
    {
        var total = Stopwatch.StartNew();
        using var source = ModelLoader.Open(job.ModelPath);
        var compute = ComputeDevice.Resolve(job.Device, source.Config.TorchDtype);
        _progress.Info($"{job.Name}: {source.Config.Architecture} from {source.Path}; device {compute.Device} ({compute.Reason})");
        Resources.PruneResourceCheck.Run(job, source, compute, _progress);   // context, memory and disk, before any work

        var calibration = BuildCalibration(job, source);
        IStatisticsCache cache = cacheRoot is null ? new NoStatisticsCache() : new StatisticsCache(cacheRoot, _progress);
        var fingerprintClock = Stopwatch.StartNew();
        var fingerprint = cacheRoot is null ? null : ModelFingerprint.Compute(source, cacheRoot);
        var fingerprintSeconds = fingerprintClock.Elapsed.TotalSeconds;
        using var folder = new AtomicFolder(job.OutputDir);
        // The weights are written layer by layer while pruning (one layer resident), under temporary names until committed.
        using var store = new StreamingLayerStore(folder.TempPath, PruningEngine.StoredDtype(source.Config), PrunedModelWriter.DefaultMaxShardBytes);
        var result = new PruningEngine(_progress, cache, fingerprint).Run(source, calibration, job.Settings, compute, job.SettingsSource, store);
        result.Timings.Add("fingerprint", fingerprintSeconds);
        using (result)
        {
            result.Timings.Time("write", () => PrunedModelWriter.Write(folder.TempPath, source, result));

            var evaluations = new List<Provenance.EvaluationInfo>();
            var summaries = new List<EvaluationSummary>();
            foreach (var spec in job.Evaluate)
            {
                var (info, summary) = result.Timings.Time("evaluate", () => Evaluate(spec, source, folder.TempPath, compute, cache, fingerprint));
                evaluations.Add(info);
                summaries.Add(summary);
                _progress.Info($"{job.Name}: {Path.GetFileName(spec.Text)} perplexity {info.DensePerplexity:F3} dense -> {info.PrunedPerplexity:F3} pruned ({summary.PerplexityIncrease:+0.0%;-0.0%})");
            }

            var provenance = Provenance.Create(result, source, calibration, job.CalibrationFiles) with { Evaluation = evaluations };
            File.WriteAllText(Path.Combine(folder.TempPath, "slimllm.json"), provenance.ToJson());
            folder.Commit();

            var timings = new Dictionary<string, double>(result.Timings.Seconds) { ["total_seconds"] = total.Elapsed.TotalSeconds };
            return new PruneReport(job.Name, job.OutputDir, result.ForwardPasses, new CacheCounters(cache.Hits, cache.Misses), timings,
                new ParameterSummary(result.DenseConfig.ParameterCount, result.Config.ParameterCount, result.DecoderParametersBefore,
                    result.DecoderParametersAfter, result.TargetReduction, result.AchievedDecoderReduction),
                summaries, provenance, result.LayerTimings, job.InputFiles());
        }
    }

    public static CalibrationSet BuildCalibration(PruneJob job, IModelSource source)
    {
        if (job.CalibrationFiles.Count == 0)
            throw new SlimLLMException(job.SettingsSource, "no calibration text files were given.", "Name at least one UTF-8 text file for calibration.");
        // Files are concatenated in the given (sorted) order, separated by a blank line.
        var text = string.Join("\n\n", job.CalibrationFiles.Select(TextCorpus.Read));
        return CalibrationSet.FromText(source.Tokenizer, text, job.Samples, job.SeqLen, job.Seed, string.Join(", ", job.CalibrationFiles));
    }

    private (Provenance.EvaluationInfo, EvaluationSummary) Evaluate(EvaluationSpec spec, IModelSource dense, string prunedFolder, ComputeDevice compute,
        IStatisticsCache cache, string? denseFingerprint)
    {
        var text = TextCorpus.Read(spec.Text);
        // Tokenizing a long text takes a second or more: only when a perplexity is not cached.
        var tokens = new Lazy<int[]>(() => Perplexity.Tokenize(dense.Tokenizer, text, spec.MaxTokens));
        int maxPos = Math.Max(spec.SeqLen, 128);
        var textHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        double Measure(string? modelFingerprint, Func<IModelSource> open, string phase)
        {
            string? key = modelFingerprint is null ? null : new CacheKey().Add("what", "perplexity").Add("algorithm", Provenance.AlgorithmVersion)
                .Add("model", modelFingerprint).Add("text", textHash).Add("seq_len", spec.SeqLen).Add("max_tokens", spec.MaxTokens ?? -1)
                .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString()).Hash();
            if (key is not null && cache.TryGet("perplexity", key) is { } hit)
            {
                using var t = hit["perplexity"];
                return t.item<double>();
            }
            using var source = open();
            using var model = LlamaModel.Load(source, compute.Device, compute.DType, maxPos);
            var ppl = Perplexity.Evaluate(model, tokens.Value, spec.SeqLen, progress: _progress, phase: phase).Perplexity;
            if (key is not null)
                using (var t = TorchSharp.torch.tensor(ppl, TorchSharp.torch.ScalarType.Float64))
                    cache.Put("perplexity", key, new Dictionary<string, TorchSharp.torch.Tensor> { ["perplexity"] = t });
            return ppl;
        }
        double densePpl = Measure(denseFingerprint, () => ModelLoader.Open(dense.Path), "perplexity (dense)");
        string? prunedFingerprint = denseFingerprint is null ? null : ModelFingerprintOfFolder(prunedFolder);
        double prunedPpl = Measure(prunedFingerprint, () => ModelLoader.Open(prunedFolder), "perplexity (pruned)");
        var info = new Provenance.EvaluationInfo(Path.GetFullPath(spec.Text), spec.SeqLen, spec.MaxTokens, densePpl, prunedPpl);
        return (info, new EvaluationSummary(info.Text, info.DensePerplexity, info.PrunedPerplexity, spec.MaxPerplexityIncrease));
    }

    private static string ModelFingerprintOfFolder(string folder)
    {
        using var source = ModelLoader.Open(folder);
        return ModelFingerprint.Compute(source);
    }
}
