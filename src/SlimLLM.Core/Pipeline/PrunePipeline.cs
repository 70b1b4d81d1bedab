using System.Diagnostics;
using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Export;
using SlimLLM.IO;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tuning;

namespace SlimLLM.Pipeline;

/// <summary>
/// One pruning job end to end: check that the output folder may be replaced and lock it, open the model, sample calibration
/// text, prune, write the folder under a temporary name (weights, config, tokenizer, GGUF when asked, slimllm.json), evaluate
/// dense and pruned perplexity, then swap the folder into place, or beside it as NAME.rejected when an evaluate gate fails.
/// With <paramref name="verifyFingerprint"/> the model's files are hashed again even when the fingerprint memo looks current.
/// </summary>
public sealed class PrunePipeline(IProgressReporter? progress = null, string? cacheRoot = null, CancellationToken cancel = default,
    bool verifyFingerprint = false)
{
    private readonly IProgressReporter _progress = new CancellingProgress(progress ?? NullProgress.Instance, cancel);

    /// <summary>Where a model that failed its evaluate gate is put, beside the output it did not replace.</summary>
    public static string RejectedDir(string outputDir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDir)) + ".rejected";

    public PruneReport Run(PruneJob job)
    {
        var total = Stopwatch.StartNew();
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(job.OutputDir));
        var rejectedDir = RejectedDir(output);
        using var source = ModelLoader.Open(job.ModelPath);
        var protectedPaths = ProtectedPaths(job, source).ToList();
        using var outputLock = OutputClaim.Acquire([output, rejectedDir], protectedPaths, job.SettingsSource, cacheRoot, _progress, job.Name, cancel);

        var compute = ComputeDevice.Resolve(job.Device, source.Config.TorchDtype);
        _progress.Info($"{job.Name}: {source.Config.Architecture} from {source.Path}; device {compute.Device} ({compute.Reason})");
        Resources.PruneResourceCheck.Run(job, source, compute, _progress);   // context, memory and disk, before any work

        var calibration = BuildCalibration(job, source);
        IStatisticsCache cache = cacheRoot is null ? new NoStatisticsCache() : new StatisticsCache(cacheRoot, _progress);
        var fingerprintClock = Stopwatch.StartNew();
        var fingerprint = cacheRoot is null ? null : ModelFingerprint.Compute(source, cacheRoot, verifyFingerprint);
        var fingerprintSeconds = fingerprintClock.Elapsed.TotalSeconds;
        using var folder = new AtomicFolder(output);
        // The weights are written layer by layer while pruning (one layer resident), under temporary names until committed,
        // and into model.gguf beside them when asked (staged with the rest: the folder appears with it or not at all).
        var storedDtype = PruningEngine.StoredDtype(source.Config);
        IPrunedLayerStore store = new StreamingLayerStore(folder.TempPath, storedDtype, PrunedModelWriter.DefaultMaxShardBytes);
        // With tuning the GGUF is written from the tuned folder at the end instead (the same bytes `slimllm export` writes).
        var gguf = job.ExportGguf && job.Tuning is null ? new GgufLayerStore(store, planned => OpenGguf(job, source, folder.TempPath, planned, output), storedDtype) : null;
        using var owned = gguf ?? store;
        store = owned;
        var result = new PruningEngine(_progress, cache, fingerprint).Run(source, calibration, job.Settings, compute, job.SettingsSource, store);
        result.Timings.Add("fingerprint", fingerprintSeconds);
        using (result)
        {
            result.Timings.Time("write", () => PrunedModelWriter.Write(folder.TempPath, source, result));
            var perplexity = new CachedPerplexity(compute, cache, fingerprint, _progress);
            var texts = job.Evaluate.Select(spec => new EvaluationText(spec, source.Tokenizer)).ToList();

            // The pruned model's layers as evaluated: the engine's chain of stored layers, and the tuning's key after tuning.
            string? layersKey = result.StoredLayersKey;
            using var tuning = job.Tuning is { } settings ? Tune(job, settings, folder.TempPath, compute, cache, fingerprint, result, perplexity, texts) : null;
            if (tuning is not null)
            {
                layersKey = tuning.Result.Key is null || layersKey is null ? null : new CacheKey().Add("layers", layersKey).Add("tuning", tuning.Result.Key).Hash();
                if (job.ExportGguf)
                    result.Timings.Time("write", () => GgufExporter.Export(folder.TempPath, Path.Combine(folder.TempPath, "model.gguf"), job.GgufType, _progress, GgufExporter.ModelName(output)));
            }
            if (gguf?.Result is { } written)
                _progress.Info($"{job.Name}: model.gguf ({written.Architecture}, {written.Type.Name()}, {written.FileBytes:N0} bytes)");

            var evaluations = new List<Provenance.EvaluationInfo>();
            var summaries = new List<EvaluationSummary>();
            for (int i = 0; i < texts.Count; i++)
            {
                var spec = texts[i].Spec;
                var (info, summary) = result.Timings.Time("evaluate", () => Evaluate(texts[i], perplexity, source, folder.TempPath, layersKey,
                    job.ExportGguf ? job.GgufType : GgufOutputType.F16, tuning?.UntunedPerplexities[i]));
                evaluations.Add(info with { Text = ProvenancePaths.Of(spec.Text, job.ProvenanceRoot) });
                summaries.Add(summary);
                _progress.Info($"{job.Name}: {Path.GetFileName(spec.Text)} perplexity {info.DensePerplexity:F3} dense -> {info.PrunedPerplexity:F3} {(tuning is null ? "pruned" : "pruned and tuned")} ({summary.PerplexityIncrease:+0.0%;-0.0%})" +
                               (info.UntunedPerplexity is double u ? $", {u:F3} untuned" : "") +
                               (info.QuantizedPerplexity is double q ? $", {q:F3} as {info.GgufType}" : ""));
            }

            var provenance = Provenance.Create(result, source, calibration, job) with
            {
                Evaluation = evaluations,
                Tuning = tuning is null ? null : Provenance.TuningInfo.Create(job.Tuning!, tuning.Result, job.ProvenanceRoot),
            };
            File.WriteAllText(Path.Combine(folder.TempPath, "slimllm.json"), provenance.ToJson());
            cancel.ThrowIfCancellationRequested();
            // A model that fails its gate must not replace the output a build or an app uses; it is kept beside it for a look.
            bool rejected = summaries.Any(s => s.Failed);
            folder.CommitTo(rejected ? rejectedDir : output);

            var timings = new Dictionary<string, double>(result.Timings.Seconds) { ["total_seconds"] = total.Elapsed.TotalSeconds };
            return new PruneReport(job.Name, rejected ? rejectedDir : output, result.ForwardPasses, new CacheCounters(cache.Hits, cache.Misses), timings,
                new ParameterSummary(result.DenseConfig.ParameterCount, result.Config.ParameterCount, result.DecoderParametersBefore,
                    result.DecoderParametersAfter, result.TargetReduction, result.AchievedDecoderReduction),
                summaries, provenance, result.LayerTimings, job.InputFiles())
            {
                Rejected = rejected,
                Tuning = tuning is null ? null : new TuningSummary(tuning.Result.Losses, tuning.Result.ForwardPasses, tuning.Result.BackwardPasses, tuning.Result.Cached),
            };
        }
    }

    /// <summary>
    /// Starts model.gguf for the planned pruned configuration. Its vocabulary is read from the tokenizer files written into
    /// the folder first, as <c>slimllm export</c> of the finished folder reads it, so that both write the same bytes.
    /// </summary>
    private GgufModelWriter OpenGguf(PruneJob job, IModelSource source, string folder, ModelConfig planned, string output)
    {
        PrunedModelWriter.WriteTokenizer(source, folder);
        return new GgufModelWriter(Path.Combine(folder, "model.gguf"), planned, source.Path, m =>
        {
            using var tokenizer = Tokenization.TokenizerLoader.FromFolder(folder);
            return GgufVocabularyMetadata.WriteFromFolder(m, folder, tokenizer, planned.VocabSize);
        }, job.GgufType, GgufExporter.ModelName(output), _progress);
    }

    /// <summary>The marker of a pruned-model folder: slimllm writes slimllm.json into every one, last.</summary>
    public static bool IsPrunedOutput(string folder) => File.Exists(Path.Combine(folder, "slimllm.json"));

    private IEnumerable<(string, string)> ProtectedPaths(PruneJob job, IModelSource source)
    {
        yield return (source.Path, "the model being pruned");
        foreach (var f in job.InputFiles()) yield return (f, "an input of this run");
        if (cacheRoot is not null) yield return (cacheRoot, "the statistics cache");
        foreach (var (path, what) in job.ProtectedPaths) yield return (path, what);
        foreach (var p in OutputFolderGuard.CommonProtectedPaths()) yield return p;
    }

    public static CalibrationSet BuildCalibration(PruneJob job, IModelSource source)
    {
        if (job.CalibrationFiles.Count == 0)
            throw new SlimLLMException(job.SettingsSource, "no calibration text files were given.", "Name at least one UTF-8 text file for calibration.");
        // Files are concatenated in the given (sorted) order, separated by a blank line.
        var text = string.Join("\n\n", job.CalibrationFiles.Select(TextCorpus.Read));
        return CalibrationSet.FromText(source.Tokenizer, text, job.Samples, job.SeqLen, job.Seed, string.Join(", ", job.CalibrationFiles));
    }

    /// <summary>A pruned model tuned in place: its adapters, and the untuned model's perplexity on each evaluation text.</summary>
    private sealed record TunedModel(TuningResult Result, IReadOnlyList<double> UntunedPerplexities) : IDisposable
    {
        public void Dispose() => Result.Dispose();
    }

    /// <summary>
    /// Measures the untuned pruned model on every evaluation text, tunes it (or takes its adapters from the cache), and
    /// replaces the weights in <paramref name="folder"/> with the merged ones.
    /// </summary>
    private TunedModel Tune(PruneJob job, TuningSettings settings, string folder, ComputeDevice compute, IStatisticsCache cache, string? fingerprint,
        PruneResult result, CachedPerplexity perplexity, IReadOnlyList<EvaluationText> texts)
    {
        var untuned = texts.Select(t => result.Timings.Time("evaluate", () =>
            perplexity.Measure(t, result.StoredLayersKey, () => ModelLoader.Open(folder), "perplexity (pruned, untuned)"))).ToList();
        string? identity = fingerprint is null || result.StoredLayersKey is null ? null
            : new CacheKey().Add("model", fingerprint).Add("layers", result.StoredLayersKey).Hash();
        TuningResult tuned;
        using (var pruned = ModelLoader.Open(folder))
            tuned = result.Timings.Time("tune", () => LoraTuning.Run(pruned, identity, settings, compute, cache, _progress, job.Name, job.SettingsSource));
        try
        {
            result.Timings.Time("write", () => TunedWeightsWriter.ReplaceIn(folder, tuned.Adapters, PrunedModelWriter.DefaultMaxShardBytes));
            return new TunedModel(tuned, untuned);
        }
        catch
        {
            tuned.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Dense and pruned perplexity, each streamed layer by layer (<see cref="StreamingPerplexity"/>): the dense layers from the
    /// source, the pruned (and tuned) ones from the folder just written, cached under <paramref name="layersKey"/>.
    /// </summary>
    private (Provenance.EvaluationInfo, EvaluationSummary) Evaluate(EvaluationText text, CachedPerplexity perplexity, IModelSource dense, string prunedFolder,
        string? layersKey, GgufOutputType ggufType, double? untunedPerplexity)
    {
        var spec = text.Spec;
        double densePpl = perplexity.Measure(text, "dense", () => ModelLoader.Open(dense.Path), "perplexity (dense)");
        double prunedPpl = perplexity.Measure(text, layersKey, () => ModelLoader.Open(prunedFolder), "perplexity (pruned)");
        // A quantised model.gguf: the same measurement with the weights as the file holds them, never cached (it is cheap beside pruning).
        string? quantized = ggufType.IsQuantized() ? ggufType.Name() : null;
        double? quantizedPpl = quantized is null ? null
            : perplexity.Measure(text, null, () => new QuantizedWeightsSource(ModelLoader.Open(prunedFolder), ggufType), $"perplexity (pruned, {quantized})");
        var info = new Provenance.EvaluationInfo(Path.GetFullPath(spec.Text), spec.SeqLen, spec.MaxTokens, densePpl, prunedPpl)
            { GgufType = quantized, QuantizedPerplexity = quantizedPpl, UntunedPerplexity = untunedPerplexity };
        return (info, new EvaluationSummary(info.Text, info.DensePerplexity, info.PrunedPerplexity, spec.MaxPerplexityIncrease)
            { GgufType = quantized, QuantizedPerplexity = quantizedPpl, UntunedPerplexity = untunedPerplexity });
    }
}
