using System.CommandLine;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Commands;

var root = new RootCommand("slimllm: structured pruning of LLaMA-family models with the SlimLLM method (arXiv 2505.22689).\nExit codes: 0 success, 1 internal error (a bug), 2 bad input (file, cause and fix on one line), 3 an evaluate gate failed (the previous output is kept), 130/143 stopped by SIGINT/SIGTERM. SLIMLLM_TRACE=1 adds stack traces.")
{
    InspectCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    PruneCommand.Create(),
    CompareCommand.Create(),
    InitCommand.Create(),
    ExportCommand.Create(),
    SynthCommand.Create(),
    BenchCommand.Create(),
    CacheCommand.Create(),
    DoctorCommand.Create(),
    BackendCommand.Create(),
};
root.Options.Add(BackendStartup.LibTorchOption);
SlimLLM.Diagnostics.NativeHeap.Configure();
Signals.Install();
return ErrorHandling.Run(() =>
{
    BackendStartup.PreloadIfNamed(args);
    var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
    if (parsed.Errors.Count > 0)
    {
        // Bad command lines are user input like any other: one line each, exit code 2, and where to read more.
        foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {ReadableTypes(error.Message)}");
        Console.Error.WriteLine($"Run 'slimllm {string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name })} --help'.".Replace("  ", " "));
        return ExitCodes.UserError;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
});

static string ReadableTypes(string message) => message
    .Replace("'System.Nullable`1[System.Double]'", "number").Replace("'System.Double'", "number")
    .Replace("'System.Nullable`1[System.Int32]'", "whole number").Replace("'System.Int32'", "whole number")
    .Replace("'System.Nullable`1[System.Int64]'", "whole number").Replace("'System.Int64'", "whole number");
