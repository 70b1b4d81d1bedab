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
            var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
            // A mistyped command or option is the cause of whatever else went wrong: it alone is reported, with a did-you-mean.
            var typos = CommandLineTypos.Find(parsed);
            if (typos.Count > 0 || parsed.Errors.Count > 0)
            {
                // Bad command lines are user input like any other: one line each, exit code 2, and where to read more.
                foreach (var error in typos.Count > 0 ? typos : parsed.Errors.Select(e => ReadableTypes(e.Message)))
                    Console.Error.WriteLine($"error: {error}");
                Console.Error.WriteLine($"Run '{CommandLineTypos.CommandPath(parsed.CommandResult)} --help'.");
                return ExitCodes.UserError;
            }
            BackendStartup.Preload(args); // after parsing: a mistyped command line installs nothing
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
