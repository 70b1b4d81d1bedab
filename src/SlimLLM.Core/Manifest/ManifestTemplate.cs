using SlimLLM.Pruning.Methods;

namespace SlimLLM.Manifest;

/// <summary>The commented starter manifest <c>slimllm init</c> writes.</summary>
public static class ManifestTemplate
{
    public const string DefaultName = "my-model-slim";
    public const string DefaultModelPath = "models/my-model";
    public const string DefaultCalibrationFiles = "data/calibration/**/*.txt";
    public const string DefaultEvaluationText = "data/test.txt";

    public const string SchemaFile = "slimllm.schema.json";
    public const string ReferenceFile = "manifest-reference.md";

    /// <summary>The starter manifest with the placeholder paths (models/my-model, data/...), to be edited by the user.</summary>
    public static string Text => Render();

    /// <summary>
    /// What <c>slimllm init</c> writes: <see cref="Text"/> naming the schema and reference shipped in
    /// <paramref name="toolFolder"/>, with a yaml-language-server modeline on the schema's path there, so that editors
    /// validate and complete the file with no network.
    /// </summary>
    public static string ForTool(string toolFolder)
    {
        var schema = Path.Combine(toolFolder, SchemaFile);
        if (!File.Exists(schema)) return Text;
        return $"# yaml-language-server: $schema={new Uri(Path.GetFullPath(schema)).AbsoluteUri}\n" +
               Text.Replace(ShippedDocs, $"# Every key, default and error code: {Path.Combine(Path.GetFullPath(toolFolder), ReferenceFile)}.\n" +
                                         "# Editors with YAML language support check this file against the schema named on the first line.");
    }

    private const string ShippedDocs =
        "# Every key, default and error code: " + ReferenceFile + " in the slimllm tool's folder; its JSON schema, " + SchemaFile + ", is there too.";

    /// <summary>The starter manifest with its name and paths filled in (quoted as YAML single-quoted strings).</summary>
    public static string Render(string name = DefaultName, string modelPath = DefaultModelPath,
        string calibrationFiles = DefaultCalibrationFiles, string evaluationText = DefaultEvaluationText) => $$"""
        # slimllm.yaml: the models `slimllm prune` builds. Relative paths are resolved from this file's folder.
        {{ShippedDocs}}

        # Where importance statistics are cached between runs (default: $SLIMLLM_CACHE, else the user cache folder).
        # cache: .slimllm-cache

        models:
          - name: {{Quote(name)}}               # the output folder's name: letters, digits, '.', '_', '-'
            source:
              path: {{Quote(modelPath)}}        # a Hugging Face folder (config.json + *.safetensors) or a .gguf file
              # or:   nuget: Some.Model.Package@[1.0,2.0)      (feed: a URL or folder, optional)
              # or:   huggingface: org/name                    (revision: main, files: ["*.json", "*.safetensors"])
            calibration:
              files: [{{Quote(calibrationFiles)}}]   # text files or glob patterns ('**' = any depth of folders)
              samples: 32                # calibration sequences (the paper: 32)
              seq_len: 128               # tokens per sequence, BOS included (the paper: 128)
              seed: 42                   # picks the sequences' start positions
              mode: sequential           # sequential: each layer sees the pruned layers before it (the paper)
                                         # dense: statistics from the dense model only (re-pruning at another target is cheap)
            pruning:
              method: slimllm            # {{string.Join(" | ", MethodRegistry.MethodNames)}}
              target: 0.20               # fraction of decoder-layer parameters to remove
              # ratio: 0.20              # instead of target: the paper's mean per-layer ratio R
              # pruned_layers: 26        # P: how many layers are pruned (default: 26/32 of the layers, 30/32 from 35%)
              # alpha: 10                # sharpness of the per-layer ratios (default: 10, 7 from 35%)
              max_ratio: 0.9             # no layer loses more than this fraction
              # recovery: regression     # {{string.Join(" | ", MethodRegistry.RecoveryNames)}} (default: the method's own)
              # ffn_criterion: flap      # criterion for FFN channels instead of the method's (attention_criterion likewise)
              # channel_multiple: 32     # round every FFN width to a multiple of this (gguf_type q8_0 / q4_0 need 32)
            # tuning:                    # LoRA recovery tuning of the pruned model, merged into it ('tuning: {}': every default)
            #   files: [{{Quote(calibrationFiles)}}]   # training text (default: the calibration files)
            #   steps: 200
            #   learning_rate: 1e-4
            #   rank: 8                  # the adapters' rank; targets: [q_proj, ..., down_proj] picks the projections
            evaluate:                    # perplexity of the dense and the pruned model; remove to skip
              - text: {{Quote(evaluationText)}}
                max_tokens: 65536
                seq_len: 128
                max_perplexity_increase: 0.50   # fail the run when pruned/dense - 1 exceeds this
            output:
              dir: out/                  # the model is written to out/<name>
              formats: [safetensors]     # safetensors | gguf
              # gguf_type: f16           # model.gguf's matrices: {{string.Join(" | ", Export.GgufOutputTypes.Names)}}
            device: auto                 # auto | cpu | cuda | cuda:N

        """;

    /// <summary>A YAML single-quoted scalar: no escapes but '' for a quote, so Windows paths stay as typed.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "''") + "'";
}
