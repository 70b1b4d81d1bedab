namespace SlimLLM.Manifest;

/// <summary>A 1-based line and column in the manifest.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"({Line},{Column})";
}

/// <summary>One problem found in a manifest, with where it is, what is wrong and what to do.</summary>
public sealed record ManifestError(string File, SourcePosition? Position, string Code, string Message, string Fix)
{
    public int? Line => Position?.Line;
    public int? Column => Position?.Column;

    /// <summary>MSBuild's canonical error format, <c>file(line,col): error CODE: message fix</c>, which MSBuild tasks and IDEs parse.</summary>
    /// One line each, whatever the manifest's text quoted in the message holds (a block scalar has line breaks).
    public override string ToString() => Errors.SlimLLMException.OneLine($"{File}{Position?.ToString() ?? ""}: error {Code}: {Message} {Fix}");
}
