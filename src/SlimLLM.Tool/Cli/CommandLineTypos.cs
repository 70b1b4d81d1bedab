using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SlimLLM.Manifest;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Unknown commands and options, each named with the closest known one ("unknown command 'prnue'. Did you mean 'prune'?").
/// System.CommandLine says only "Unrecognized command or argument", and where a command takes an optional argument (prune's
/// MANIFEST) it takes a mistyped option for that argument and blames the option's value instead.
/// </summary>
public static class CommandLineTypos
{
    /// <summary>One error line per unknown command or option; empty when every token is known.</summary>
    public static List<string> Find(ParseResult parsed)
    {
        var errors = new List<string>();
        var command = parsed.CommandResult.Command;
        string path = CommandPath(parsed.CommandResult);
        var options = KnownOptions(parsed.CommandResult);
        foreach (var token in parsed.Tokens.Where(t => t.Type == TokenType.Argument && LooksLikeOption(t.Value)))
        {
            if (options.Contains(token.Value)) continue;
            errors.Add($"unknown option '{token.Value}' for '{path}'.{Suggestion(token.Value, options)}");
        }
        if (command.Subcommands.Count > 0 && parsed.UnmatchedTokens.FirstOrDefault(t => !LooksLikeOption(t)) is { } word)
            errors.Add($"unknown command '{word}' for '{path}'.{Suggestion(word, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}");
        return errors;
    }

    private static string Suggestion(string word, IEnumerable<string> candidates) =>
        DidYouMean.Suggest(word, candidates) is { } s ? $" Did you mean '{s}'?" : "";

    /// <summary>A dash and then a letter; "-5MB", "-0.2" and "-Infinity" are (bad or negative) values for the option before them.</summary>
    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !char.IsDigit(token[1]) && token[1] != '.'
        && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The command's options and the recursive options of the commands above it, by every name.</summary>
    private static HashSet<string> KnownOptions(CommandResult result)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var o in c.Command.Options.Where(o => ReferenceEquals(c, result) || o.Recursive))
                {
                    names.Add(o.Name);
                    names.UnionWith(o.Aliases);
                }
        return names;
    }

    /// <summary>"slimllm cache": the command and the commands above it.</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }
}
