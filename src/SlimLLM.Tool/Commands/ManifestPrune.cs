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
    public static int Run(string manifestPath, string? deviceOverride, string? cacheDirOverride, bool noCache, bool json, bool verify = false, bool offline = false)
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
                progress.Subject = spec.Name;
                // Models from NuGet feeds and the Hugging Face hub are fetched once into the cache folder (NuGet) or the
                // Hugging Face cache (hub), then read from there; the cache key hashes their content, not where they came from.
                var resolved = ModelSourceResolver.Resolve(spec.Source, new SourceOptions
                {
                    CacheRoot = cacheRoot ?? StatisticsCache.ResolveRoot(manifest.CacheDir),
                    ConfigRoot = manifest.Directory,
                    Offline = offline,
                }, progress);
                var job = spec.ToPruneJob(resolved.LocalPath, resolved.Origin, deviceOverride);
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
