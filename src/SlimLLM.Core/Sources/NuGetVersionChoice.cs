using NuGet.Versioning;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>
/// The version a <c>nuget: Id@Range</c> source asks for. A bare version (<c>1.2.0</c>) pins exactly that version (NuGet
/// would read it as "1.2.0 or later", which is not reproducible for a model); an interval (<c>[1.0,2.0)</c>) takes the
/// highest version inside; a floating range (<c>1.*</c>) NuGet's best float match; no range the highest stable version.
/// </summary>
internal sealed class NuGetVersionChoice
{
    private NuGetVersionChoice(string? text, VersionRange? range, NuGetVersion? exact)
    {
        Text = text;
        Range = range;
        Exact = exact;
    }

    public string? Text { get; }
    public VersionRange? Range { get; }
    /// <summary>Set for a bare version: the one version that satisfies it.</summary>
    public NuGetVersion? Exact { get; }

    public static NuGetVersionChoice Parse(string? text, string packageLabel)
    {
        if (string.IsNullOrWhiteSpace(text)) return new(null, null, null);
        var trimmed = text.Trim();
        bool bare = !trimmed.StartsWith('[') && !trimmed.StartsWith('(') && !trimmed.Contains('*');
        if (bare && NuGetVersion.TryParse(trimmed, out var exact))
            return new(trimmed, VersionRange.Parse(trimmed), exact);
        if (!bare && VersionRange.TryParse(trimmed, allowFloating: true, out var range))
            return new(trimmed, range, null);
        throw new SlimLLMException(packageLabel, $"'{trimmed}' is not a valid NuGet version or version range.",
            "Write a version (1.2.0), an interval ([1.0,2.0), (,2.0], [1.5]) or a floating version (1.*).");
    }

    public bool Satisfies(NuGetVersion version) => Exact is not null ? version == Exact : Range is null || Range.Satisfies(version);

    public NuGetVersion? Best(IEnumerable<NuGetVersion> available)
    {
        var versions = available.Distinct().ToList();
        if (Exact is not null) return versions.FirstOrDefault(v => v == Exact);
        if (Range is null) return versions.Where(v => !v.IsPrerelease).DefaultIfEmpty().Max() ?? versions.DefaultIfEmpty().Max();
        if (Range.IsFloating) return Range.FindBestMatch(versions.Where(Range.Satisfies));
        return versions.Where(Range.Satisfies).DefaultIfEmpty().Max();
    }

    public override string ToString() => Text ?? "latest";
}
