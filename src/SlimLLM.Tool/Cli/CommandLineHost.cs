using System.CommandLine;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// How slimllm and slimllm-dev start: the global --libtorch option, the native heap settings, SIGINT/SIGTERM, the CUDA
/// backend preload, one-line errors for bad command lines (exit code 2) and <see cref="ErrorHandling"/> around the command.
/// </summary>
public static class CommandLineHost
{
    public static int Run(RootCommand root, string[] args)
    {
        root.Options.Add(BackendStartup.LibTorchOption);
        OutputLevel.Add(root);
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
                Console.Error.WriteLine($"Run '{root.Name} {string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name })} --help'.".Replace("  ", " "));
                return ExitCodes.UserError;
            }
            OutputLevel.Read(parsed);
            // The live progress display ends before the result, or an error, is written.
            try { return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); }
            finally { StderrProgress.FinishAll(); }
        });
    }

    private static string ReadableTypes(string message) => message
        .Replace("'System.Nullable`1[System.Double]'", "number").Replace("'System.Double'", "number")
        .Replace("'System.Nullable`1[System.Int32]'", "whole number").Replace("'System.Int32'", "whole number")
        .Replace("'System.Nullable`1[System.Int64]'", "whole number").Replace("'System.Int64'", "whole number");
}
