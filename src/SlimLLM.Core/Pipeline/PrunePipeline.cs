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
        OutputFolderGuard.Check(output, IsPrunedOutput, protectedPaths, job.SettingsSource); // before the lock file is made beside it
        using var outputLock = OutputLock.Acquire(output, _progress, cancel);
        // Checked again under the lock: another run may have just replaced the folder.
        OutputFolderGuard.Check(output, IsPrunedOutput, protectedPaths, job.SettingsSource);
        OutputFolderGuard.Check(rejectedDir, IsPrunedOutput, protectedPaths, job.SettingsSource);
        int swept = StaleTemps.SweepFolder(Path.GetDirectoryName(output)!,
            [AtomicFolder.TempPrefix(output), AtomicFolder.OldPrefix(output), AtomicFolder.TempPrefix(rejectedDir), AtomicFolder.OldPrefix(rejectedDir)],
            untaggedAreStale: true);
        if (cacheRoot is not null) swept += StaleTemps.SweepTree(cacheRoot);
        if (swept > 0) _progress.Info($"{job.Name}: removed {swept} temporary file(s) or folder(s) left by runs that were killed");

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
        var gguf = job.ExportGguf ? new GgufLayerStore(store, planned => OpenGguf(job, source, folder.TempPath, planned, output), storedDtype) : null;
        using var owned = gguf ?? store;
        store = owned;
        var result = new PruningEngine(_progress, cache, fingerprint).Run(source, calibration, job.Settings, compute, job.SettingsSource, store);
        result.Timings.Add("fingerprint", fingerprintSeconds);
        using (result)
        {
            result.Timings.Time("write", () => PrunedModelWriter.Write(folder.TempPath, source, result));
            if (gguf?.Result is { } written)
                _progress.Info($"{job.Name}: model.gguf ({written.Architecture}, {written.Type.Name()}, {written.FileBytes:N0} bytes)");

            var evaluations = new List<Provenance.EvaluationInfo>();
            var summaries = new List<EvaluationSummary>();
            foreach (var spec in job.Evaluate)
            {
                var (info, summary) = result.Timings.Time("evaluate", () => Evaluate(spec, source, folder.TempPath, compute, cache, fingerprint, result.StoredLayersKey,
                    job.ExportGguf ? job.GgufType : GgufOutputType.F16));
                evaluations.Add(info with { Text = ProvenancePaths.Of(spec.Text, job.ProvenanceRoot) });
                summaries.Add(summary);
                _progress.Info($"{job.Name}: {Path.GetFileName(spec.Text)} perplexity {info.DensePerplexity:F3} dense -> {info.PrunedPerplexity:F3} pruned ({summary.PerplexityIncrease:+0.0%;-0.0%})" +
                               (info.QuantizedPerplexity is double q ? $", {q:F3} as {info.GgufType}" : ""));
            }

            var provenance = Provenance.Create(result, source, calibration, job) with { Evaluation = evaluations };
            File.WriteAllText(Path.Combine(folder.TempPath, "slimllm.json"), provenance.ToJson());
            cancel.ThrowIfCancellationRequested();
            // A model that fails its gate must not replace the output a build or an app uses; it is kept beside it for a look.
            bool rejected = summaries.Any(s => s.Failed);
            folder.CommitTo(rejected ? rejectedDir : output);

            var timings = new Dictionary<string, double>(result.Timings.Seconds) { ["total_seconds"] = total.Elapsed.TotalSeconds };
            return new PruneReport(job.Name, rejected ? rejectedDir : output, result.ForwardPasses, new CacheCounters(cache.Hits, cache.Misses), timings,
                new ParameterSummary(result.DenseConfig.ParameterCount, result.Config.ParameterCount, result.DecoderParametersBefore,
                    result.DecoderParametersAfter, result.TargetReduction, result.AchievedDecoderReduction),
                summaries, provenance, result.LayerTimings, job.InputFiles()) { Rejected = rejected };
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

    /// <summary>
    /// Dense and pruned perplexity, each streamed layer by layer (<see cref="StreamingPerplexity"/>): the dense layers from the
    /// source, the pruned ones from the folder just written. Cached under the dense model's fingerprint, and for the pruned
    /// model the chain of its stored layers that the engine built while pruning.
    /// </summary>
    private (Provenance.EvaluationInfo, EvaluationSummary) Evaluate(EvaluationSpec spec, IModelSource dense, string prunedFolder, ComputeDevice compute,
        IStatisticsCache cache, string? denseFingerprint, string? prunedLayers, GgufOutputType ggufType)
    {
        var text = TextCorpus.Read(spec.Text);
        // Tokenizing a long text takes a second or more: only when a perplexity is not cached.
        var tokens = new Lazy<int[]>(() => Perplexity.Tokenize(dense.Tokenizer, text, spec.MaxTokens));
        var textHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        double Measure(string? layers, Func<IModelSource> open, string phase)
        {
            string? key = denseFingerprint is null || layers is null ? null : new CacheKey().Add("what", "perplexity").Add("algorithm", Pruning.PruningAlgorithm.Version)
                .Add("model", denseFingerprint).Add("layers", layers).Add("text", textHash).Add("seq_len", spec.SeqLen).Add("max_tokens", spec.MaxTokens ?? -1)
                .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString()).Hash();
            if (key is not null && cache.TryGet("perplexity", key) is { } hit)
            {
                using var t = hit["perplexity"];
                return t.item<double>();
            }
            using var source = open();
            var ppl = StreamingPerplexity.Evaluate(source, tokens.Value, spec.SeqLen, compute, progress: _progress, phase: phase).Perplexity;
            if (key is not null)
                using (var t = TorchSharp.torch.tensor(ppl, TorchSharp.torch.ScalarType.Float64))
                    cache.Put("perplexity", key, new Dictionary<string, TorchSharp.torch.Tensor> { ["perplexity"] = t });
            return ppl;
        }
        double densePpl = Measure("dense", () => ModelLoader.Open(dense.Path), "perplexity (dense)");
        double prunedPpl = Measure(prunedLayers, () => ModelLoader.Open(prunedFolder), "perplexity (pruned)");
        // A quantised model.gguf: the same measurement with the weights as the file holds them, never cached (it is cheap beside pruning).
        string? quantized = ggufType.IsQuantized() ? ggufType.Name() : null;
        double? quantizedPpl = quantized is null ? null
            : Measure(null, () => new QuantizedWeightsSource(ModelLoader.Open(prunedFolder), ggufType), $"perplexity (pruned, {quantized})");
        var info = new Provenance.EvaluationInfo(Path.GetFullPath(spec.Text), spec.SeqLen, spec.MaxTokens, densePpl, prunedPpl)
            { GgufType = quantized, QuantizedPerplexity = quantizedPpl };
        return (info, new EvaluationSummary(info.Text, info.DensePerplexity, info.PrunedPerplexity, spec.MaxPerplexityIncrease)
            { GgufType = quantized, QuantizedPerplexity = quantizedPpl });

    }
}
