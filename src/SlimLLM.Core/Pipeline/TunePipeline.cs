using System.Diagnostics;
using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Export;
using SlimLLM.IO;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Tuning;

namespace SlimLLM.Pipeline;

/// <summary><c>slimllm tune</c>: a folder slimllm pruned, tuned with LoRA into a new folder.</summary>
public sealed record TuneJob
{
    /// <summary>The pruned model folder (with its slimllm.json).</summary>
    public required string ModelPath { get; init; }
    public required string OutputDir { get; init; }
    public required TuningSettings Settings { get; init; }
    public IReadOnlyList<EvaluationSpec> Evaluate { get; init; } = [];
    public string Device { get; init; } = "auto";
    /// <summary>Also write model.gguf of this type (the input's model.gguf is not carried over: it holds the untuned weights).</summary>
    public GgufOutputType? Gguf { get; init; }
}

/// <param name="Perplexities">Per --eval text: the perplexity before and after tuning.</param>
public sealed record TuneReport(string Name, string Output, TuningSummary Tuning, IReadOnlyList<(string Text, double Untuned, double Tuned)> Perplexities,
    CacheCounters Cache, double Seconds);

/// <summary>
/// Tunes the model of <see cref="TuneJob.ModelPath"/> and writes it to <see cref="TuneJob.OutputDir"/> with the adapters merged:
/// an ordinary pruned folder (config and tokenizer as they were, the merged weights, model.gguf when asked) whose slimllm.json
/// is the input's with a <c>tuning</c> section and without its <c>evaluation</c> (those numbers were the untuned weights').
/// The folder appears whole or not at all, and replaces only an earlier slimllm output.
/// </summary>
public sealed class TunePipeline(IProgressReporter? progress = null, string? cacheRoot = null, CancellationToken cancel = default)
{
    private readonly IProgressReporter _progress = new CancellingProgress(progress ?? NullProgress.Instance, cancel);

    public TuneReport Run(TuneJob job)
    {
        var clock = Stopwatch.StartNew();
        var input = Path.TrimEndingDirectorySeparator(Path.GetFullPath(job.ModelPath));
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(job.OutputDir));
        var name = Path.GetFileName(output);
        var provenance = ReadProvenance(input);
        using var source = ModelLoader.Open(input);
        var protectedPaths = new List<(string, string)> { (input, "the model being tuned") };
        protectedPaths.AddRange(job.Settings.Files.Concat(job.Evaluate.Select(e => e.Text)).Select(f => (Path.GetFullPath(f), "an input of this run")));
        if (cacheRoot is not null) protectedPaths.Add((cacheRoot, "the statistics cache"));
        protectedPaths.AddRange(OutputFolderGuard.CommonProtectedPaths());
        using var outputLock = OutputClaim.Acquire([output], protectedPaths, null, cacheRoot, _progress, name, cancel);

        int context = source.Config.MaxPositionEmbeddings;
        if (job.Settings.SeqLen > context)
            throw new SlimLLMException(null, $"--seq-len is {job.Settings.SeqLen:N0}, above the model's context of {context:N0} tokens (max_position_embeddings of {input}).",
                $"Set it to at most {context:N0}.");
        var compute = ComputeDevice.Resolve(job.Device, source.Config.TorchDtype);
        _progress.Info($"{name}: tuning {input}; device {compute.Device} ({compute.Reason})");
        IStatisticsCache cache = cacheRoot is null ? new NoStatisticsCache() : new StatisticsCache(cacheRoot, _progress);
        var identity = cacheRoot is null ? null : ModelFingerprint.Compute(source, cacheRoot);
        var perplexity = new CachedPerplexity(compute, cache, identity, _progress);
        var texts = job.Evaluate.Select(spec => new EvaluationText(spec, source.Tokenizer)).ToList();
        var untuned = texts.Select(t => perplexity.Measure(t, "as given", () => ModelLoader.Open(input), "perplexity (untuned)")).ToList();

        using var tuned = LoraTuning.Run(source, identity, job.Settings, compute, cache, _progress, name);
        using var folder = new AtomicFolder(output);
        TunedWeightsWriter.Write(source, tuned.Adapters, folder.TempPath, PrunedModelWriter.DefaultMaxShardBytes);
        File.Copy(Path.Combine(input, "config.json"), Path.Combine(folder.TempPath, "config.json"));
        PrunedModelWriter.WriteTokenizer(source, folder.TempPath);
        if (job.Gguf is { } type)
            GgufExporter.Export(folder.TempPath, Path.Combine(folder.TempPath, "model.gguf"), type, _progress, GgufExporter.ModelName(output));
        var after = texts.Select(t => perplexity.Measure(t, tuned.Key is null ? null : "tuned " + tuned.Key, () => ModelLoader.Open(folder.TempPath), "perplexity (tuned)")).ToList();

        var written = provenance with { Evaluation = [], Tuning = Provenance.TuningInfo.Create(job.Settings, tuned, Path.GetDirectoryName(output)) };
        File.WriteAllText(Path.Combine(folder.TempPath, "slimllm.json"), written.ToJson());
        cancel.ThrowIfCancellationRequested();
        folder.CommitTo(output);
        var rows = texts.Select((t, i) => (t.Spec.Text, untuned[i], after[i])).ToList();
        foreach (var (text, u, a) in rows) _progress.Info($"{name}: {Path.GetFileName(text)} perplexity {u:F3} untuned -> {a:F3} tuned ({a / u - 1:+0.0%;-0.0%})");
        return new TuneReport(name, output, new TuningSummary(tuned.Losses, tuned.ForwardPasses, tuned.BackwardPasses, tuned.Cached), rows,
            new CacheCounters(cache.Hits, cache.Misses), clock.Elapsed.TotalSeconds);
    }

    private static Provenance ReadProvenance(string input)
    {
        var path = Path.Combine(input, "slimllm.json");
        if (!File.Exists(path))
            throw new SlimLLMException(input, "is not a model slimllm pruned (it has no slimllm.json).",
                "Pass the output folder of 'slimllm prune' (or add a tuning: section to the manifest that prunes it).");
        Provenance p;
        try { p = Provenance.FromJson(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e)
        {
            throw new SlimLLMException(path, $"cannot be read: {e.Message}", "Prune the model again: slimllm writes this file last, whole.");
        }
        if (p.Tuning is not null)
            throw new SlimLLMException(path, "says this model is tuned already.", "Tune the untuned output of 'slimllm prune' instead.");
        return p;
    }
}
