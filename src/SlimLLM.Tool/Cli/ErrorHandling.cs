using SlimLLM.Errors;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Every failure ends in one line on stderr: user mistakes and environment failures exit 2 with the cause and the fix,
/// cancellation exits 130 (SIGINT) or 143 (SIGTERM), and bugs exit 1 with "internal error" and where to report them.
/// A stack trace is printed only when SLIMLLM_TRACE=1.
/// </summary>
public static class ErrorHandling
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            var failure = Describe(e);
            foreach (var error in failure.Errors) Console.Error.WriteLine(error.StderrLine);
            if (failure.Traced) Trace(e);
            return failure.ExitCode;
        }
    }

    /// <summary>What a failure exits with and reports: <see cref="Run"/> prints its lines, `prune --json` also puts them in its report.</summary>
    public static ToolFailure Describe(Exception e)
    {
        if (Find<SlimLLM.Manifest.ManifestException>(e) is { } manifest)
            // Already one canonical line per error (path(line,col): error SLIMxxx: ...), which MSBuild and IDEs parse.
            return new ToolFailure(manifest.ExitCode, manifest.Errors.Select(m => new ToolError(m.ToString(), SlimLLMException.OneLine($"{m.Message} {m.Fix}"),
                m.File, m.Position?.Line, m.Position?.Column, m.Code)).ToList());
        if (Find<SlimLLMException>(e) is { } user)
            return new ToolFailure(user.ExitCode, [new ToolError($"error: {user.Message}", SlimLLMException.OneLine(user.Fix is null ? user.Cause : $"{user.Cause} {user.Fix}"),
                user.File, user.Line, user.Column)], Traced: true);
        if (Find<OperationCanceledException>(e) is not null && Signals.Received is not null)
            return Plain(Signals.ExitCode, $"cancelled by {(Signals.ExitCode == 143 ? "SIGTERM" : "SIGINT")}; temporary files were removed and any previous output left as it was.", traced: false);
        if (IsMissingLibstdcxx(e))
            return Plain(ExitCodes.UserError, "TorchSharp's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13 or newer), which this system lacks. " +
                                              "Run 'slimllm doctor': it prints the commands that install one (on Debian 12, trixie's libstdc++6).", traced: false);
        if (Environmental(e) is { } line) return Plain(ExitCodes.UserError, line, traced: true);
        return Plain(ExitCodes.InternalError, $"internal error ({e.GetType().Name}: {FirstLine(e.Message)}). This is a bug in slimllm: please report it on the SlimLLM.Build issue tracker " +
                                              "with the command line and the output of the same command run with SLIMLLM_TRACE=1.", traced: true);
    }

    private static ToolFailure Plain(int exitCode, string message, bool traced) => new(exitCode, [new ToolError($"error: {message}", message)], traced);

    /// <summary>Failures of the machine rather than of slimllm: disk full, no permission, out of memory.</summary>
    internal static string? Environmental(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case IOException io when SlimLLM.IO.DiskSpace.IsDiskFull(io):
                    return $"the disk is full ({FirstLine(io.Message)}). Free space on that drive, or point the output (output.dir / --out) or the cache (SLIMLLM_CACHE / --cache-dir) to a larger one.";
                case PathTooLongException tooLong:
                    return $"a path is too long for the file system: {FirstLine(tooLong.Message)} Use shorter folder or model names.";
                case UnauthorizedAccessException denied:
                    return $"permission denied: {FirstLine(denied.Message)} Make the folder writable, or choose another output (output.dir / --out) or cache folder (SLIMLLM_CACHE / --cache-dir).";
                case IOException io when io.HResult == 30 || io.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase):
                    return $"the file system is read-only: {FirstLine(io.Message)} Choose a writable output (output.dir / --out) and cache folder (SLIMLLM_CACHE / --cache-dir).";
                case OutOfMemoryException:
                    return "out of memory. Lower calibration.samples or calibration.seq_len (or --samples / --seq-len), or run on a machine with more memory.";
            }
        }
        return null;
    }

    private static void Trace(Exception e)
    {
        if (Environment.GetEnvironmentVariable("SLIMLLM_TRACE") is "1" or "true") Console.Error.WriteLine(e.ToString());
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T t) return t;
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) return Find<T>(agg.InnerExceptions[0]);
        }
        return null;
    }

    private static bool IsMissingLibstdcxx(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x.Message.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal)) return true;
        return false;
    }
}
