using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SlimLLM.Manifest;

/// <summary>
/// Builds <see cref="YamlNode"/>s from YamlDotNet's event parser, so every node keeps its line and column. Syntax errors
/// are fatal (reported at YamlDotNet's start mark); duplicate and non-scalar keys are reported and reading goes on.
/// </summary>
internal sealed class YamlTreeReader
{
    private readonly Parser _parser;
    private readonly ManifestDiagnostics _diagnostics;
    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private readonly Stack<SourcePosition> _openCollections = new();
    private SourcePosition _lastPosition = new(1, 1);

    private YamlTreeReader(TextReader text, ManifestDiagnostics diagnostics)
    {
        _parser = new Parser(text);
        _diagnostics = diagnostics;
    }

    /// <summary>The root node of the single document, or null when the text has none or has a syntax error (reported).</summary>
    public static YamlNode? Read(TextReader text, ManifestDiagnostics diagnostics) => new YamlTreeReader(text, diagnostics).ReadStream();

    private YamlNode? ReadStream()
    {
        try
        {
            Next(); // StreamStart
            Next();
            if (Current is StreamEnd) return null;
            Next(); // DocumentStart
            var root = ReadNode();
            Next(); // DocumentEnd
            if (Current is DocumentStart second)
                _diagnostics.Add(ManifestErrorCode.SyntaxError, At(second.Start), "the manifest has more than one YAML document ('---').",
                    "Keep one document: list every model under the one 'models:' key.");
            return root;
        }
        catch (YamlException e)
        {
            _diagnostics.Add(ManifestErrorCode.SyntaxError, At(e.Start), $"YAML syntax error: {Sentence(e.Message)}",
                "Fix the YAML here: check the indentation, quotes, brackets and the ':' after each key.");
            return null;
        }
        catch (TooDeepException e)
        {
            _diagnostics.Add(ManifestErrorCode.SyntaxError, e.At, $"the YAML nests collections more than {MaxDepth} levels deep here.",
                "A manifest needs a few levels (models, a model, its sections): remove the extra brackets or indentation.");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way instead of with a YamlException on some unclosed flow collections.
            var where = _openCollections.Count > 0 ? _openCollections.Peek() : _lastPosition;
            _diagnostics.Add(ManifestErrorCode.SyntaxError, where, "YAML syntax error: the parser could not read past this point.",
                "Check that every '[', '{' and quote opened here is closed.");
            return null;
        }
    }

    private ParsingEvent Current => _parser.Current ?? throw new InvalidOperationException("No current YAML event.");

    private void Next()
    {
        if (!_parser.MoveNext()) throw new InvalidOperationException("Unexpected end of the YAML event stream.");
        _lastPosition = At(Current.Start);
    }

    /// <summary>
    /// The deepest nesting of collections read. A manifest needs five levels; the limit keeps a hostile file (10,000 '[' in a row)
    /// from overflowing the stack of this recursive reader, which no handler can catch.
    /// </summary>
    public const int MaxDepth = 64;

    private sealed class TooDeepException(SourcePosition at) : Exception
    {
        public SourcePosition At { get; } = at;
    }

    private YamlNode ReadNode()
    {
        var ev = Current;
        if (ev is SequenceStart or MappingStart && _openCollections.Count >= MaxDepth) throw new TooDeepException(At(ev.Start));
        switch (ev)
        {
            case Scalar s:
            {
                Next();
                return Anchor(s.Anchor, new YamlScalar(s.Value, s.Style, s.Tag.IsEmpty ? null : s.Tag.Value, At(s.Start)));
            }
            case AnchorAlias alias:
            {
                Next();
                if (_anchors.TryGetValue(alias.Value.Value, out var target)) return target;
                _diagnostics.Add(ManifestErrorCode.SyntaxError, At(alias.Start), $"YAML syntax error: alias '*{alias.Value.Value}' refers to no anchor defined before it.",
                    $"Define '&{alias.Value.Value}' on an earlier value, or write the value out.");
                return new YamlScalar("", ScalarStyle.Plain, null, At(alias.Start));
            }
            case SequenceStart start:
            {
                _openCollections.Push(At(start.Start));
                Next();
                var items = new List<YamlNode>();
                while (Current is not SequenceEnd) items.Add(ReadNode());
                Next();
                _openCollections.Pop();
                return Anchor(start.Anchor, new YamlSequence(items, At(start.Start)));
            }
            case MappingStart start:
            {
                _openCollections.Push(At(start.Start));
                Next();
                var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
                var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
                while (Current is not MappingEnd)
                {
                    var key = ReadNode();
                    var value = ReadNode();
                    if (key is not YamlScalar k)
                    {
                        _diagnostics.Add(ManifestErrorCode.SyntaxError, key.Position, $"a key is {key.Describe()}; manifest keys are plain names.",
                            "Write the key as a name followed by ':'.");
                        continue;
                    }
                    if (seen.TryGetValue(k.Value, out var first))
                    {
                        _diagnostics.Add(ManifestErrorCode.DuplicateKey, k.Position, $"key '{k.Value}' appears twice in this mapping (first at line {first.Line}).",
                            "Remove one of them.");
                        continue;
                    }
                    seen.Add(k.Value, k.Position);
                    entries.Add(new(k, value));
                }
                Next();
                _openCollections.Pop();
                return Anchor(start.Anchor, new YamlMapping(entries, At(start.Start)));
            }
            default:
                throw new SemanticErrorException(ev.Start, ev.End, $"unexpected {ev.GetType().Name}");
        }
    }

    private YamlNode Anchor(AnchorName anchor, YamlNode node)
    {
        if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        return node;
    }

    /// <summary>YamlDotNet's message continuing our sentence: "While scanning ..." becomes "while scanning ...".</summary>
    private static string Sentence(string message)
    {
        var m = message.Trim().TrimEnd('.');
        return m.Length == 0 ? "invalid YAML." : char.ToLowerInvariant(m[0]) + m[1..] + ".";
    }

    private static SourcePosition At(Mark mark) => new((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));
}
