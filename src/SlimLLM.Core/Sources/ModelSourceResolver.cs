using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Progress;

namespace SlimLLM.Sources;

/// <summary>Turns a manifest's model source into a local folder or .gguf file, fetching it once and reusing it afterwards.</summary>
public static class ModelSourceResolver
{
    public static ResolvedSource Resolve(SourceSpec spec, SourceOptions options, IProgressReporter? progress = null, CancellationToken ct = default) =>
        ResolveAsync(spec, options, progress, ct).GetAwaiter().GetResult();

    public static async Task<ResolvedSource> ResolveAsync(SourceSpec spec, SourceOptions options, IProgressReporter? progress = null, CancellationToken ct = default)
    {
        progress ??= NullProgress.Instance;
        return spec switch
        {
            PathSourceSpec p => FromPath(p),
            HuggingFaceSourceSpec hf => await HuggingFaceSource.ResolveAsync(hf, options, progress, ct),
            NuGetSourceSpec nuget => await NuGetModelSource.ResolveAsync(nuget, options, progress, ct),
            _ => throw new ArgumentException($"Unknown source kind {spec.GetType().Name}.", nameof(spec)),
        };
    }

    private static ResolvedSource FromPath(PathSourceSpec spec)
    {
        if (!Directory.Exists(spec.Path) && !File.Exists(spec.Path))
            throw new SlimLLMException(spec.Path, "no such file or folder.", "Check the path: source; it must be a model folder (config.json + safetensors) or a .gguf file.");
        return new ResolvedSource(spec.Path, $"path {spec.Path}");
    }
}
