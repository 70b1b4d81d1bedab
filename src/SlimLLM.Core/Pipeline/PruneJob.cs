using SlimLLM.Export;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.Pipeline;

/// <summary>A perplexity measurement to make on the dense and the pruned model, with an optional gate.</summary>
public sealed record EvaluationSpec(string Text, long? MaxTokens = null, int SeqLen = 128, double? MaxPerplexityIncrease = null);

/// <summary>Everything one pruned model needs: where from, calibration, settings, evaluation, where to.</summary>
public sealed record PruneJob
{
    public required string Name { get; init; }
    public required string ModelPath { get; init; }
    public required IReadOnlyList<string> CalibrationFiles { get; init; }
    public int Samples { get; init; } = 32;
    public int SeqLen { get; init; } = 128;
    public int Seed { get; init; } = 42;
    public required PruneSettings Settings { get; init; }
    public IReadOnlyList<EvaluationSpec> Evaluate { get; init; } = [];
    /// <summary>The final output folder (the model's files go directly in it).</summary>
    public required string OutputDir { get; init; }
    public string Device { get; init; } = "auto";
    /// <summary>The folder slimllm.json's paths are written relative to (the manifest's); null keeps only file names.</summary>
    public string? ProvenanceRoot { get; init; }
    /// <summary>How slimllm.json names a model fetched from a feed or hub (e.g. <c>nuget:Id@1.0.0</c>); null for a local path.</summary>
    public string? ModelOrigin { get; init; }
    /// <summary>For error messages: the manifest (or command line) the settings came from.</summary>
    public string? SettingsSource { get; init; }
    /// <summary>Also write model.gguf into the output folder, staged and committed with the rest.</summary>
    public bool ExportGguf { get; init; }
    /// <summary>The element type of model.gguf's matrices.</summary>
    public GgufOutputType GgufType { get; init; } = GgufOutputType.F16;
    /// <summary>Folders the output must neither be nor contain beyond the model, inputs and cache (e.g. the manifest's folder).</summary>
    public IReadOnlyList<(string Path, string What)> ProtectedPaths { get; init; } = [];
    /// <summary>LoRA recovery tuning after the prune (the manifest's <c>tuning:</c>); null: none.</summary>
    public Tuning.TuningSettings? Tuning { get; init; }

    /// <summary>
    /// The local files the job reads, as absolute paths: the model (its file, or the files directly in its folder) and the
    /// calibration, evaluation and tuning texts. A build compares them with what it saw at its last prune to know when to prune again.
    /// (Folders are not tracked: a project folder's time changes with every file created in it.)
    /// </summary>
    public IReadOnlyList<string> InputFiles()
    {
        var model = Path.GetFullPath(ModelPath);
        IEnumerable<string> modelFiles = Directory.Exists(model) ? Directory.GetFiles(model).Order(StringComparer.Ordinal) : [model];
        return modelFiles.Concat(CalibrationFiles.Concat(Evaluate.Select(e => e.Text)).Concat(Tuning?.Files ?? []).Select(f => Path.GetFullPath(f)))
            .Distinct(StringComparer.Ordinal).ToList();
    }
}
