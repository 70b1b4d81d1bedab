using YamlDotNet.Core;

namespace SlimLLM.Manifest;

/// <summary>A YAML node with the position it starts at; the manifest reader works on these, never on deserialized objects.</summary>
internal abstract record YamlNode(SourcePosition Position)
{
    public abstract string Describe();
}

internal sealed record YamlScalar(string Value, ScalarStyle Style, string? Tag, SourcePosition Position) : YamlNode(Position)
{
    /// <summary>YAML 1.2 core-schema null: an empty plain scalar, ~ or null.</summary>
    public bool IsNull => Style == ScalarStyle.Plain && Tag is null && Value is "" or "~" or "null" or "Null" or "NULL";

    public bool IsPlain => Style == ScalarStyle.Plain;

    public override string Describe() => IsNull ? "nothing" : IsPlain ? $"'{Value}'" : $"the quoted string '{Value}'";
}

internal sealed record YamlSequence(IReadOnlyList<YamlNode> Items, SourcePosition Position) : YamlNode(Position)
{
    public override string Describe() => "a list";
}

internal sealed record YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries, SourcePosition Position) : YamlNode(Position)
{
    public override string Describe() => "a mapping";
}
