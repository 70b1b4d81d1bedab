namespace SlimLLM.Tool.Cli;

/// <summary>The tool's exit codes (documented in README and --help).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An internal error (a bug): one line saying so and where to report it; the stack trace only with SLIMLLM_TRACE=1.</summary>
    public const int InternalError = 1;
    /// <summary>Bad input: a file, a setting, a missing dependency. One line names the file, the cause and the fix.</summary>
    public const int UserError = 2;
    /// <summary>An evaluate gate failed: the pruned model degraded more than the manifest allows.</summary>
    public const int GateFailed = 3;
    /// <summary>Stopped by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal number, see <see cref="Signals"/>.</summary>
    public const int Interrupted = 130, Terminated = 143;
}
