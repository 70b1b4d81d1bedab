using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Export;
using SlimLLM.Manifest;
using SlimLLM.Pipeline;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

/// <summary>`slimllm prune [MANIFEST]`: every model of the manifest, validated up front, in order.</summary>
public static class ManifestPrune
{
    public static int Run(string manifestPath, string? deviceOverride, string? cacheDirOverride, bool noCache, bool json)
    {
        var manifest = ManifestLoader.Load(Path.GetFullPath(manifestPath));
        var progress = new StderrProgress();
        string? cacheRoot = noCache ? null
            : cacheDirOverride is not null ? Path.GetFullPath(cacheDirOverride)
            : StatisticsCache.ResolveRoot(manifest.CacheDir);
        if (cacheRoot is not null) progress.Info($"cache: {cacheRoot}");
        var reports = new List<PruneReport>();
        foreach (var spec in manifest.Models)
        {
            if (spec.Source is not PathSourceSpec path)
                throw new SlimLLMException(manifest.Path, $"model '{spec.Name}': {SourceKind(spec.Source)} sources are not supported by this version yet.",
                    "Download the model and use 'source: path:' for now.", spec.Position.Line, spec.Position.Column);
            var job = new PruneJob
            {
                Name = spec.Name,
                ModelPath = path.Path,
                CalibrationFiles = spec.Calibration.Files,
                Samples = spec.Calibration.Samples,
                SeqLen = spec.Calibration.SeqLen,
                Seed = spec.Calibration.Seed,
                Settings = spec.ToPruneSettings(),
                Evaluate = spec.Evaluate.Select(e => new EvaluationSpec(e.Text, e.MaxTokens, e.SeqLen, e.MaxPerplexityIncrease)).ToList(),
                OutputDir = spec.OutputDir,
                Device = deviceOverride is null or "auto" ? spec.Device : deviceOverride,
                SettingsSource = manifest.Path,
            };
            var report = new PrunePipeline(progress, cacheRoot).Run(job);
            if (spec.Formats.Contains(OutputFormat.Gguf))
            {
                // Written beside the safetensors files, from the folder just committed (the exporter writes atomically too).
                var gguf = GgufExporter.Export(spec.OutputDir, Path.Combine(spec.OutputDir, "model.gguf"), GgufOutputType.F16, progress);
                progress.Info($"{spec.Name}: wrote {gguf.Path} ({gguf.Architecture}, f16)");
            }
            reports.Add(report);
        }
        return PruneOutput.Print(reports, json);
    }

    private static string SourceKind(SourceSpec s) => s switch
    {
        NuGetSourceSpec => "nuget",
        HuggingFaceSourceSpec => "huggingface",
        _ => s.GetType().Name,
    };
}
