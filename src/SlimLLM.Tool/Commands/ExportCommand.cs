using System.CommandLine;
using SlimLLM.Errors;
using SlimLLM.Export;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var format = new Option<string>("--format") { Description = "Output format: gguf.", DefaultValueFactory = _ => "gguf" };
        var type = new Option<string>("--type") { Description = "Tensor type of the matrices: f32 | f16 | bf16 | q8_0 | q4_0 (norms and biases stay f32; q8_0 and q4_0 need rows that are multiples of 32).", DefaultValueFactory = _ => "f16" };
        var output = new Option<string?>("--out", "-o") { Description = "Output file (default: MODEL/model.gguf for a folder)." };
        var json = CommonOptions.Json();
        var cmd = new Command("export", "Export a (pruned) model for llama.cpp: GGUF with per-layer head counts and FFN widths (the 'deci' architecture) when layers differ.")
            { model, format, type, output, json };
        cmd.SetAction(r =>
        {
            var modelPath = Path.GetFullPath(r.GetValue(model)!);
            if (!string.Equals(r.GetValue(format), "gguf", StringComparison.OrdinalIgnoreCase))
                throw new SlimLLMException(null, $"export format '{r.GetValue(format)}' is not supported.", "Use --format gguf.");
            var outPath = Path.GetFullPath(r.GetValue(output) ?? (Directory.Exists(modelPath) ? Path.Combine(modelPath, "model.gguf")
                : Path.ChangeExtension(modelPath, ".export.gguf")));
            RefuseToReplaceAForeignFile(outPath);
            var result = GgufExporter.Export(modelPath, outPath, GgufOutputTypes.Parse(r.GetValue(type)!), new StderrProgress());
            if (r.GetValue(json))
                Cli.Json.Print(new { path = result.Path, architecture = result.Architecture, type = result.Type.Name(),
                    tensors = result.TensorCount, vocabulary = result.VocabularySize, bytes = result.FileBytes });
            else
                Console.Out.WriteLine($"wrote {result.Path}: {result.Architecture}, {result.Type.Name()}, {result.TensorCount} tensors, {result.FileBytes:N0} bytes");
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>An existing --out file is replaced only when it is a GGUF file (an earlier export), never another file.</summary>
    private static void RefuseToReplaceAForeignFile(string outPath)
    {
        if (Directory.Exists(outPath))
            throw new SlimLLMException(null, $"the output {outPath} is a folder.", "Pass a file name for --out, e.g. model.gguf.");
        if (!File.Exists(outPath)) return;
        Span<byte> magic = stackalloc byte[4];
        using (var f = File.OpenRead(outPath))
            if (f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("GGUF"u8)) return;
        throw new SlimLLMException(null, $"the output {outPath} exists and is not a GGUF file; slimllm replaces only files it wrote.",
            "Choose another --out file, or move that file away.");
    }
}
