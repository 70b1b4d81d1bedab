namespace SlimLLM.Build.Tasks.Tests;

/// <summary>Reports of version 1 as `slimllm prune --json` prints them (docs/msbuild.md), for the fake tool to print.</summary>
public static class Reports
{
    public static object Model(string name, string output, bool rejected = false, object[]? evaluation = null, string[]? inputs = null) => new
    {
        name, output, rejected, forward_passes = 8,
        parameters = new { before = 260_000, after = 210_000, decoder_before = 200_000, decoder_after = 150_000, target_reduction = 0.25, achieved_decoder_reduction = 0.25 },
        evaluation = evaluation ?? [],
        inputs = inputs ?? [],
    };

    public static object Evaluation(string text, double dense, double pruned, double? max = null) =>
        new { text, dense_perplexity = dense, pruned_perplexity = pruned, max_perplexity_increase = max, failed = max is double m && pruned / dense - 1 > m };

    public static object Diagnostic(string message, string? file = null, int? line = null, int? column = null, string? code = null) =>
        new { message, file, line, column, code };

    public static object Of(object[]? models = null, object[]? errors = null, object[]? warnings = null, int version = 1) =>
        new { version, models = models ?? [], warnings = warnings ?? [], errors = errors ?? [] };
}
