namespace SlimLLM.Tool.Cli;

/// <summary>How a failed command ends: its exit code (<see cref="ExitCodes"/>) and its errors; <see cref="Traced"/>: SLIMLLM_TRACE=1 adds the stack trace.</summary>
public sealed record ToolFailure(int ExitCode, IReadOnlyList<ToolError> Errors, bool Traced = false);

/// <summary>
/// One error: the line stderr gets (canonical `path(line,col): error CODE: message` for manifest errors, `error: ...` otherwise),
/// and its parts for a JSON report: the message (cause and fix) and, when known, the file, line, column and code.
/// </summary>
public sealed record ToolError(string StderrLine, string Message, string? File = null, int? Line = null, int? Column = null, string? Code = null);
