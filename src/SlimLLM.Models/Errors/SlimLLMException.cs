namespace SlimLLM.Errors;

/// <summary>
/// A failure caused by user input (a file, a setting, a missing dependency) rather than by a bug.
/// The command line prints it as one line, without a stack trace, and exits with <see cref="ExitCode"/>.
/// </summary>
public class SlimLLMException : Exception
{
    public SlimLLMException(string? file, string cause, string? fix = null, int? line = null, int? column = null, int exitCode = 2, Exception? inner = null)
        : base(Format(file, cause, fix, line, column), inner)
    {
        File = file;
        Cause = cause;
        Fix = fix;
        Line = line;
        Column = column;
        ExitCode = exitCode;
    }

    /// <summary>The file the problem is in, when there is one.</summary>
    public string? File { get; }
    public string Cause { get; }
    /// <summary>What the user can do about it.</summary>
    public string? Fix { get; }
    public int? Line { get; }
    public int? Column { get; }
    public int ExitCode { get; }

    private static string Format(string? file, string cause, string? fix, int? line, int? column)
    {
        var where = file is null ? "" : line is null ? $"{file}: " : column is null ? $"{file}({line}): " : $"{file}({line},{column}): ";
        return OneLine(fix is null ? where + cause : $"{where}{cause} {fix}");
    }

    /// <summary>
    /// Control and line-break characters escaped (\n, \r, \t, \uXXXX): a cause quoting a file's content (a token or tensor
    /// name, a native library's message) must not break the one-line error.
    /// </summary>
    public static string OneLine(string text)
    {
        if (!text.Any(IsBreaking)) return text;
        var sb = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!IsBreaking(c)) sb.Append(c);
            else sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\u{(int)c:X4}" });
        }
        return sb.ToString();
    }

    private static bool IsBreaking(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
