using System.Text.RegularExpressions;

namespace SlimLLM.Build;

/// <summary>What one stderr line of `slimllm prune` is, and the MSBuild event it becomes.</summary>
public enum ToolLineKind { Progress, CanonicalError, CanonicalWarning, GateFailure, Error, Warning }

/// <summary>One classified stderr line of the tool: its kind, MSBuild code, location (when it has one) and message.</summary>
public sealed class ToolOutputLine
{
    public const string UserErrorCode = "SLIM100";
    public const string GateFailureCode = "SLIM101";
    public const string ToolWarningCode = "SLIM102";

    // path(line,col): error SLIM0xx: message   (MSBuild's canonical format, as the manifest loader writes it)
    private static readonly Regex Canonical = new(@"^(?<file>.+?)\((?<line>\d+),(?<col>\d+)\): (?<sev>error|warning) (?<code>SLIM\d+): (?<msg>.*)$");
    // error: name: perplexity on TEXT rose from X to Y (+N%), above the allowed +M%. FIX
    private static readonly Regex Gate = new(@"^error: (?<name>.+?): perplexity on (?<text>.+) rose from (?<dense>[0-9.]+) to (?<pruned>[0-9.]+) \((?<inc>[^)]*)\), above the allowed (?<max>[+-]?[0-9.]+%)\.\s*(?<fix>.*)$");

    public ToolLineKind Kind { get; private set; }
    public string? Code { get; private set; }
    public string? File { get; private set; }
    public int Line { get; private set; }
    public int Column { get; private set; }
    public string Message { get; private set; } = "";
    /// <summary>For a gate failure: the dense and pruned perplexities as the tool printed them.</summary>
    public string? DensePerplexity { get; private set; }
    public string? PrunedPerplexity { get; private set; }

    public static ToolOutputLine Parse(string line)
    {
        var m = Canonical.Match(line);
        if (m.Success)
            return new ToolOutputLine
            {
                Kind = m.Groups["sev"].Value == "error" ? ToolLineKind.CanonicalError : ToolLineKind.CanonicalWarning,
                Code = m.Groups["code"].Value,
                File = m.Groups["file"].Value,
                Line = int.Parse(m.Groups["line"].Value),
                Column = int.Parse(m.Groups["col"].Value),
                Message = m.Groups["msg"].Value,
            };
        var g = Gate.Match(line);
        if (g.Success)
            return new ToolOutputLine
            {
                Kind = ToolLineKind.GateFailure,
                Code = GateFailureCode,
                DensePerplexity = g.Groups["dense"].Value,
                PrunedPerplexity = g.Groups["pruned"].Value,
                Message = $"model '{g.Groups["name"].Value}' failed its evaluate gate: perplexity on {g.Groups["text"].Value} rose from " +
                          $"{g.Groups["dense"].Value} (dense) to {g.Groups["pruned"].Value} (pruned), {g.Groups["inc"].Value}, above the allowed " +
                          $"{g.Groups["max"].Value}. {g.Groups["fix"].Value}".TrimEnd(),
            };
        if (line.StartsWith("error: ", System.StringComparison.Ordinal))
            return new ToolOutputLine { Kind = ToolLineKind.Error, Code = UserErrorCode, Message = line.Substring("error: ".Length) };
        if (line.StartsWith("warning: ", System.StringComparison.Ordinal))
            return new ToolOutputLine { Kind = ToolLineKind.Warning, Code = ToolWarningCode, Message = line.Substring("warning: ".Length) };
        return new ToolOutputLine { Kind = ToolLineKind.Progress, Message = line };
    }
}
