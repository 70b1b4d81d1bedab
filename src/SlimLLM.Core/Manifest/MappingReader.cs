using System.Globalization;
using static System.FormattableString;

namespace SlimLLM.Manifest;

/// <summary>A value read from the manifest, with where it was written and how.</summary>
internal readonly record struct Located<T>(T Value, SourcePosition Position, string Raw);

/// <summary>
/// Reads one YAML mapping of the manifest: reports its unknown keys on creation, then typed reads that report wrong types,
/// missing required keys and values outside their range, and return null for anything they reported or that is absent.
/// </summary>
internal sealed class MappingReader
{
    private readonly YamlMapping _map;
    private readonly string _section;
    private readonly string _path;
    private readonly SourcePosition _owner;

    /// <param name="section">The <see cref="ManifestKeys.Sections"/> name whose keys this mapping accepts.</param>
    /// <param name="path">How messages name this mapping ("pruning", "evaluate[1]"); empty for a model entry.</param>
    /// <param name="owner">Where a missing key is reported: the mapping's own key, or the entry's start.</param>
    public MappingReader(YamlMapping map, string section, string path, SourcePosition owner, ManifestDiagnostics diagnostics)
    {
        _map = map;
        _section = section;
        _path = path;
        _owner = owner;
        Diagnostics = diagnostics;
        ReportUnknownKeys();
    }

    public ManifestDiagnostics Diagnostics { get; }

    /// <summary>"'pruning.target'" for a key of this mapping.</summary>
    public string Name(string key) => _path.Length == 0 ? $"'{key}'" : $"'{_path}.{key}'";

    private string OwnerName => _section switch
    {
        ManifestKeys.Root => "the manifest",
        ManifestKeys.Model => "the model entry",
        _ => $"'{_path}'",
    };

    public bool Has(string key) => Value(key) is not null;

    public SourcePosition? KeyPosition(string key) => Entry(key)?.Key.Position;

    /// <summary>The value of <paramref name="key"/>, or null when the key is absent or its value is null.</summary>
    public YamlNode? Value(string key) => Entry(key)?.Value is { } v && !(v is YamlScalar { IsNull: true }) ? v : null;

    private KeyValuePair<YamlScalar, YamlNode>? Entry(string key)
    {
        foreach (var e in _map.Entries)
            if (e.Key.Value == key) return e;
        return null;
    }

    /// <summary>Reports a missing key: at the owner when absent, at the key when written without a value.</summary>
    public void ReportMissing(string key, string example, string? message = null, string? fix = null)
    {
        var written = KeyPosition(key);
        Diagnostics.Add(ManifestErrorCode.MissingKey, written ?? _owner,
            message ?? (written is null ? $"{OwnerName} has no '{key}'." : $"{Name(key)} has no value."),
            fix ?? $"Add '{key}: {example}'.");
    }

    public void Report(string code, SourcePosition position, string message, string fix) => Diagnostics.Add(code, position, message, fix);

    public Located<string>? String(string key, bool required, string example)
    {
        var node = Required(key, required, example);
        if (node is null) return null;
        if (node is YamlScalar s) return new Located<string>(s.Value, s.Position, s.Value);
        WrongType(key, node, "a string", example);
        return null;
    }

    public Located<double>? Number(string key, bool required, string example)
    {
        var s = PlainScalar(key, required, example, "a number");
        if (s is null) return null;
        if (double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            return new Located<double>(v, s.Position, s.Value);
        WrongType(key, s, "a number", example);
        return null;
    }

    public Located<int>? Integer(string key, bool required, string example, int min, int max = int.MaxValue)
    {
        var s = PlainScalar(key, required, example, "a whole number");
        if (s is null) return null;
        if (!long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            WrongType(key, s, "a whole number", example);
            return null;
        }
        var located = new Located<double>(v, s.Position, s.Value);
        return InRange(key, located, min, true, max, true, example) ? new Located<int>((int)v, s.Position, s.Value) : null;
    }

    public Located<bool>? Bool(string key, string example)
    {
        var s = PlainScalar(key, false, example, "true or false");
        if (s is null) return null;
        if (s.Value is "true" or "True" or "TRUE") return new Located<bool>(true, s.Position, s.Value);
        if (s.Value is "false" or "False" or "FALSE") return new Located<bool>(false, s.Position, s.Value);
        WrongType(key, s, "true or false", example);
        return null;
    }

    /// <summary>One of <paramref name="options"/>' names (exact, lower case), with a did-you-mean when it is not.</summary>
    public Located<T>? Choice<T>(string key, IReadOnlyList<KeyValuePair<string, T>> options, string what)
    {
        var node = Required(key, false, options[0].Key);
        if (node is null) return null;
        if (node is not YamlScalar s)
        {
            WrongType(key, node, what, options[0].Key);
            return null;
        }
        return ChoiceOf(Name(key), s, options, what);
    }

    /// <summary>Checks one scalar against named options; reports <see cref="ManifestErrorCode.InvalidValue"/> when it is none of them.</summary>
    public Located<T>? ChoiceOf<T>(string name, YamlScalar s, IReadOnlyList<KeyValuePair<string, T>> options, string what)
    {
        foreach (var o in options)
            if (o.Key == s.Value) return new Located<T>(o.Value, s.Position, s.Value);
        var names = options.Select(o => o.Key).ToList();
        var suggestion = DidYouMean.Suggest(s.Value, names);
        Diagnostics.Add(ManifestErrorCode.InvalidValue, s.Position, $"{name} is '{s.Value}', which is not {what}.",
            (suggestion is null ? "" : $"Did you mean '{suggestion}'? ") + $"Use one of: {string.Join(", ", names)}.");
        return null;
    }

    /// <summary>A list of strings; a single string counts as a list of one when <paramref name="allowSingle"/>.</summary>
    public List<Located<string>>? StringList(string key, bool required, bool allowSingle, string example)
    {
        var node = Required(key, required, example);
        switch (node)
        {
            case null:
                return null;
            case YamlScalar s when allowSingle:
                return [new Located<string>(s.Value, s.Position, s.Value)];
            case YamlSequence seq:
                var items = new List<Located<string>>();
                bool ok = true;
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    if (seq.Items[i] is YamlScalar { IsNull: false } item) items.Add(new Located<string>(item.Value, item.Position, item.Value));
                    else
                    {
                        Diagnostics.Add(ManifestErrorCode.WrongType, seq.Items[i].Position,
                            $"{Name(key)}[{i}]: expected a string, got {seq.Items[i].Describe()}.", $"Write each entry as a string, e.g. '{key}: {example}'.");
                        ok = false;
                    }
                }
                return ok ? items : null;
            default:
                WrongType(key, node, allowSingle ? "a string or a list of strings" : "a list of strings", example);
                return null;
        }
    }

    public MappingReader? Mapping(string key, string section, bool required, string example)
    {
        var node = Required(key, required, example);
        if (node is null) return null;
        if (node is YamlMapping m) return new MappingReader(m, section, Join(key), KeyPosition(key)!.Value, Diagnostics);
        WrongType(key, node, "a mapping of keys", example);
        return null;
    }

    /// <param name="entryExample">One list entry's first line, for the fix when the value is not a list.</param>
    public YamlSequence? Sequence(string key, bool required, string entryExample)
    {
        var node = Required(key, required, $"[{entryExample}]");
        if (node is null) return null;
        if (node is YamlSequence s) return s;
        Diagnostics.Add(ManifestErrorCode.WrongType, node.Position, $"{Name(key)}: expected a list, got {node.Describe()}.",
            $"Start each entry of '{key}' with '- ', e.g. '- {entryExample}'.");
        return null;
    }

    /// <summary>Reports <see cref="ManifestErrorCode.OutOfRange"/> unless min ≤ (or &lt;) value ≤ (or &lt;) max.</summary>
    public bool InRange(string key, Located<double> v, double? min, bool minInclusive, double? max, bool maxInclusive, string example)
    {
        bool ok = (min is not double low || (minInclusive ? v.Value >= low : v.Value > low)) &&
                  (max is not double high || (maxInclusive ? v.Value <= high : v.Value < high));
        if (ok) return true;
        string range = (min, max) switch
        {
            (double lo, double hi) when hi >= int.MaxValue => minInclusive ? Invariant($"at least {lo}") : Invariant($"greater than {lo}"),
            (double lo, double hi) => Invariant($"in {(minInclusive ? "[" : "(")}{lo}, {hi}{(maxInclusive ? "]" : ")")}"),
            (double lo, null) => minInclusive ? Invariant($"at least {lo}") : Invariant($"greater than {lo}"),
            (null, double hi) => maxInclusive ? Invariant($"at most {hi}") : Invariant($"less than {hi}"),
            _ => "valid",
        };
        Diagnostics.Add(ManifestErrorCode.OutOfRange, v.Position, $"{Name(key)} is {v.Raw}, but must be {range}.", $"Set it to e.g. '{key}: {example}'.");
        return false;
    }

    private string Join(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    private YamlNode? Required(string key, bool required, string example)
    {
        var node = Value(key);
        if (node is null && required) ReportMissing(key, example);
        return node;
    }

    /// <summary>Numbers and booleans must be plain scalars: a quoted "32" is a string in YAML.</summary>
    private YamlScalar? PlainScalar(string key, bool required, string example, string what)
    {
        var node = Required(key, required, example);
        if (node is null) return null;
        if (node is YamlScalar { IsPlain: true } s) return s;
        WrongType(key, node, what, example);
        return null;
    }

    private void WrongType(string key, YamlNode got, string expected, string example) =>
        Diagnostics.Add(ManifestErrorCode.WrongType, got.Position, $"{Name(key)}: expected {expected}, got {got.Describe()}.", $"Write it as '{key}: {example}'.");

    private void ReportUnknownKeys()
    {
        var valid = ManifestKeys.Sections[_section];
        foreach (var (key, _) in _map.Entries)
        {
            if (valid.Contains(key.Value, StringComparer.Ordinal)) continue;
            var suggestion = DidYouMean.Suggest(key.Value, valid);
            var elsewhere = ManifestKeys.SectionAccepting(key.Value, _section);
            var where = _section switch { ManifestKeys.Root => "at the top level", ManifestKeys.Model => "in a model entry", _ => $"in '{_path}'" };
            string fix = suggestion is not null ? $"Did you mean '{suggestion}'?"
                : elsewhere is not null ? $"'{key.Value}' belongs in {SectionPlace(elsewhere)}; move it there."
                : $"Valid keys here: {string.Join(", ", valid)}.";
            Diagnostics.Add(ManifestErrorCode.UnknownKey, key.Position, $"unknown key '{key.Value}' {where}.", fix);
        }
    }

    private static string SectionPlace(string section) => section switch
    {
        ManifestKeys.Root => "the top level of the manifest",
        ManifestKeys.Model => "the model entry",
        _ => $"'{section}'",
    };
}
