using System.Text.RegularExpressions;

namespace SlimLLM.Manifest;

/// <summary>Reads a model entry's <c>source:</c>: exactly one of path, nuget and huggingface, with their own options.</summary>
internal sealed partial class SourceReader(MappingReader entry, string manifestDir)
{
    private static readonly string[] Kinds = ["path", "nuget", "huggingface"];

    [GeneratedRegex(@"^[A-Za-z0-9_]+([.-][A-Za-z0-9_]+)*$")]
    private static partial Regex PackageId();

    // A NuGet version (1, 1.2, 1.2.3, 1.2.3.4 with an optional -prerelease and +metadata), a range of them, or a floating 1.*.
    [GeneratedRegex(@"^(?<v>\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?|\d+(\.\d+){0,2}\.\*|\*)$")]
    private static partial Regex NuGetVersion();

    [GeneratedRegex(@"^[\[(]\s*(?<lo>[^,\[\]()]*)\s*(,\s*(?<hi>[^,\[\]()]*)\s*)?[\])]$")]
    private static partial Regex NuGetRange();

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex HubRepository();

    public SourceSpec? Read()
    {
        var section = entry.Mapping("source", ManifestKeys.Source, true, "{ path: models/my-model }");
        if (section is null) return null;
        var given = Kinds.Where(section.Has).OrderBy(k => section.KeyPosition(k)!.Value.Line).ThenBy(k => section.KeyPosition(k)!.Value.Column).ToList();
        if (given.Count == 0)
        {
            section.ReportMissing("path", "models/my-model", "'source' has none of 'path', 'nuget' or 'huggingface'.",
                "Add one, e.g. 'path: models/my-model' (a Hugging Face folder or a .gguf file).");
            return null;
        }
        if (given.Count > 1)
        {
            section.Report(ManifestErrorCode.ConflictingKeys, section.KeyPosition(given[1])!.Value, $"'source' has both '{given[0]}' and '{given[1]}'.",
                "Keep exactly one of path, nuget and huggingface.");
            return null;
        }
        bool ok = OnlyWith(section, given[0], "nuget", "feed") & OnlyWith(section, given[0], "huggingface", "revision") & OnlyWith(section, given[0], "huggingface", "files");
        SourceSpec? spec = given[0] switch
        {
            "path" => ReadPath(section),
            "nuget" => ReadNuGet(section),
            _ => ReadHub(section),
        };
        return ok ? spec : null;
    }

    private static bool OnlyWith(MappingReader section, string kind, string owner, string key)
    {
        if (kind == owner || section.KeyPosition(key) is not { } at) return true;
        section.Report(ManifestErrorCode.ConflictingKeys, at, $"'source.{key}' applies only to a '{owner}' source, but this one is '{kind}'.",
            $"Remove '{key}', or use '{owner}:'.");
        return false;
    }

    private PathSourceSpec? ReadPath(MappingReader section)
    {
        if (section.String("path", true, "models/my-model") is not { } p) return null;
        var full = Path.GetFullPath(Path.Combine(manifestDir, p.Value));
        if (File.Exists(full) || Directory.Exists(full)) return new PathSourceSpec(full);
        section.Report(ManifestErrorCode.FileNotFound, p.Position, $"source path '{p.Value}' does not exist (resolved to '{full}').",
            "Check the path: relative paths are resolved from the manifest's folder; it names a Hugging Face folder or a .gguf file.");
        return null;
    }

    private NuGetSourceSpec? ReadNuGet(MappingReader section)
    {
        var reference = section.String("nuget", true, "Some.Model.Package@1.0.0");
        var feed = section.String("feed", false, "https://api.nuget.org/v3/index.json");
        string? feedValue = null;
        bool ok = reference is not null;
        if (feed is { } f)
        {
            if (Uri.TryCreate(f.Value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
                feedValue = f.Value;
            else
            {
                feedValue = Path.GetFullPath(Path.Combine(manifestDir, f.Value));
                if (!Directory.Exists(feedValue))
                {
                    section.Report(ManifestErrorCode.FileNotFound, f.Position, $"feed folder '{f.Value}' does not exist (resolved to '{feedValue}').",
                        "Give an http(s) feed URL or an existing folder of .nupkg files, relative to the manifest's folder.");
                    ok = false;
                }
            }
        }
        if (reference is not { } r) return null;
        var at = r.Value.IndexOf('@');
        var id = at < 0 ? r.Value : r.Value[..at];
        var version = at < 0 ? null : r.Value[(at + 1)..];
        if (!PackageId().IsMatch(id) || (version is not null && !IsVersionOrRange(version)))
        {
            section.Report(ManifestErrorCode.InvalidValue, r.Position, $"'source.nuget' is '{r.Value}', which is not a NuGet package id with an optional @version.",
                "Write 'Package.Id', 'Package.Id@1.2.0' or 'Package.Id@[1.0,2.0)'.");
            return null;
        }
        return ok ? new NuGetSourceSpec(id, version, feedValue) : null;
    }

    private static bool IsVersionOrRange(string v)
    {
        if (NuGetVersion().IsMatch(v)) return true;
        var m = NuGetRange().Match(v);
        if (!m.Success) return false;
        var lo = m.Groups["lo"].Value.Trim();
        var hi = m.Groups["hi"].Value.Trim();
        bool hasComma = m.Groups["hi"].Success;
        // [1.0] is exact; a range needs a comma and at least one bound.
        return (hasComma ? lo.Length + hi.Length > 0 : lo.Length > 0 && v[0] == '[' && v[^1] == ']')
               && (lo.Length == 0 || NuGetVersion().IsMatch(lo)) && (hi.Length == 0 || NuGetVersion().IsMatch(hi));
    }

    private HuggingFaceSourceSpec? ReadHub(MappingReader section)
    {
        var repo = section.String("huggingface", true, "org/name");
        var revision = section.String("revision", false, "main");
        var files = section.StringList("files", false, allowSingle: true, "[\"*.json\", \"*.safetensors\"]");
        bool ok = !(files is null && section.Has("files")) && !(revision is null && section.Has("revision"));
        if (files is { Count: 0 })
        {
            section.Report(ManifestErrorCode.OutOfRange, section.KeyPosition("files")!.Value, "'source.files' lists no file pattern.",
                "List the files to download, e.g. 'files: [\"*.json\", \"*.safetensors\"]', or remove 'files' for the default.");
            ok = false;
        }
        if (repo is not { } r) return null;
        if (!HubRepository().IsMatch(r.Value) || r.Value.Contains(".."))
        {
            section.Report(ManifestErrorCode.InvalidValue, r.Position, $"'source.huggingface' is '{r.Value}', which is not a Hugging Face repository id.",
                "Write it as 'org/name', e.g. 'huggingface: TinyLlama/TinyLlama-1.1B-Chat-v1.0'.");
            return null;
        }
        return ok ? new HuggingFaceSourceSpec(r.Value, revision?.Value ?? HuggingFaceSourceSpec.DefaultRevision,
            files?.Select(f => f.Value).ToList() ?? HuggingFaceSourceSpec.DefaultFiles) : null;
    }
}
