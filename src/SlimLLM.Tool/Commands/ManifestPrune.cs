using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Pipeline;
using SlimLLM.Resources;
using SlimLLM.Sources;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

/// <summary>`slimllm prune [MANIFEST]`: every model of the manifest, validated up front, in order.</summary>
public static class ManifestPrune
{
    public static int Run(string manifestPath, string? deviceOverride, string? cacheDirOverride, bool noCache, bool json, bool verify = false)
    {
        var progress = new StderrProgress();
        // Inside the report's run: with --json, a manifest error is in the report too.
        return PruneOutput.Run(json, progress, reports =>
        {
            var manifest = ManifestLoader.Load(Path.GetFullPath(manifestPath));
            string? cacheRoot = noCache ? null
                : cacheDirOverride is not null ? Path.GetFullPath(cacheDirOverride)
                : StatisticsCache.ResolveRoot(manifest.CacheDir);
            if (cacheRoot is not null) progress.Info($"cache: {cacheRoot}");
            foreach (var spec in manifest.Models)
            {
                // Models from NuGet feeds and the Hugging Face hub are fetched once into the cache folder (NuGet) or the
                // Hugging Face cache (hub), then read from there; the cache key hashes their content, not where they came from.
                var resolved = ModelSourceResolver.Resolve(spec.Source, new SourceOptions
                {
                    CacheRoot = cacheRoot ?? StatisticsCache.ResolveRoot(manifest.CacheDir),
                    ConfigRoot = manifest.Directory,
                }, progress);
                var job = new PruneJob
                {
                    Name = spec.Name,
                    ModelPath = resolved.LocalPath,
                    ModelOrigin = resolved.Origin,
                    ProvenanceRoot = manifest.Directory,
                    CalibrationFiles = spec.Calibration.Files,
                    Samples = spec.Calibration.Samples,
                    SeqLen = spec.Calibration.SeqLen,
                    Seed = spec.Calibration.Seed,
                    Settings = spec.ToPruneSettings(),
                    Evaluate = spec.Evaluate.Select(e => new EvaluationSpec(e.Text, e.MaxTokens, e.SeqLen, e.MaxPerplexityIncrease)).ToList(),
                    OutputDir = spec.OutputDir,
                    Device = deviceOverride is null or "auto" ? spec.Device : deviceOverride,
                    SettingsSource = manifest.Path,
                    ExportGguf = spec.Formats.Contains(OutputFormat.Gguf),
                    GgufType = spec.GgufType,
                    ProtectedPaths = [(manifest.Directory, "the manifest's folder"), (manifest.Path, "the manifest")],
                };
                PruneReport report;
                try { report = new PrunePipeline(progress, cacheRoot, Signals.Token, verify).Run(job); }
                catch (SettingException e)
                {
                    // Found once the model was open (its context, the memory the settings need): reported at the setting's line.
                    throw new ManifestException(manifest.Path, [new ManifestError(manifest.Path, spec.PositionOf(e.Setting), ManifestErrorCode.OutOfRange, e.Cause, e.Fix ?? "")]);
                }
                reports.Add(report);
            }
        });
    }

}
