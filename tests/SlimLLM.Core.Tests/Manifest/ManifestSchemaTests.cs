using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SlimLLM.Manifest;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Manifest;

/// <summary>The editor schema and the reference document list exactly what the loader accepts (<see cref="ManifestKeys"/>).</summary>
public sealed class ManifestSchemaTests
{
    private static JsonObject Schema() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "slimllm.schema.json")))!.AsObject();

    private static JsonObject Section(JsonObject schema, string section) =>
        section == ManifestKeys.Root ? schema : schema["$defs"]![section]!.AsObject();

    [Fact]
    public void Schema_is_draft_2020_12_and_each_section_lists_exactly_the_accepted_keys()
    {
        var schema = Schema();
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        Assert.Equal(ManifestKeys.Sections.Keys.Where(k => k != ManifestKeys.Root).Order(), schema["$defs"]!.AsObject().Select(p => p.Key).Order());
        foreach (var (section, keys) in ManifestKeys.Sections)
        {
            var s = Section(schema, section);
            Assert.Equal(keys, s["properties"]!.AsObject().Select(p => p.Key));
            Assert.False((bool)s["additionalProperties"]!);
        }
    }

    [Fact]
    public void Schema_enumerations_are_the_loader_names()
    {
        var schema = Schema();
        static string[] Enum(JsonNode? node) => node!["enum"]!.AsArray().Select(v => (string)v!).ToArray();
        Assert.Equal(ManifestKeys.Methods.Select(m => m.Key), Enum(schema["$defs"]!["pruning"]!["properties"]!["method"]));
        Assert.Equal(ManifestKeys.Recoveries.Select(m => m.Key), Enum(schema["$defs"]!["pruning"]!["properties"]!["recovery"]));
        Assert.Equal(ManifestKeys.Modes.Select(m => m.Key), Enum(schema["$defs"]!["calibration"]!["properties"]!["mode"]));
        var formats = schema["$defs"]!["output"]!["properties"]!["formats"]!["oneOf"]!.AsArray();
        Assert.Equal(ManifestKeys.Formats.Select(m => m.Key), Enum(formats[0]));
        Assert.Equal(ManifestKeys.Formats.Select(m => m.Key), Enum(formats[1]!["items"]));
        var ggufType = schema["$defs"]!["output"]!["properties"]!["gguf_type"]!;
        Assert.Equal(ManifestKeys.GgufTypes.Select(m => m.Key), Enum(ggufType));
        Assert.Equal(ManifestKeys.GgufTypes[0].Key, (string)ggufType["default"]!);
        var tuning = schema["$defs"]!["tuning"]!["properties"]!;
        Assert.Equal(ManifestKeys.TuningMethods.Select(m => m.Key), Enum(tuning["method"]));
        Assert.Equal(ManifestKeys.Schedules.Select(m => m.Key), Enum(tuning["schedule"]));
        Assert.Equal(ManifestKeys.LoraTargetNames.Select(m => m.Key), Enum(tuning["targets"]!["items"]));
    }

    [Fact]
    public void Reference_documents_every_key_of_every_section_and_every_error_code()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "manifest-reference.md"));
        var keysBySection = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var line in doc.Split('\n'))
        {
            if (Regex.Match(line, @"^### `(\w+)`") is { Success: true } h) keysBySection[h.Groups[1].Value] = current = [];
            else if (line.StartsWith("## ", StringComparison.Ordinal)) current = null;
            else if (current is not null && Regex.Match(line, @"^\| `(\w+)` \|") is { Success: true } row) current.Add(row.Groups[1].Value);
        }
        Assert.Equal(ManifestKeys.Sections.Keys.Order(), keysBySection.Keys.Order());
        foreach (var (section, keys) in ManifestKeys.Sections) Assert.Equal(keys, keysBySection[section]);

        var codes = Regex.Matches(doc, @"^\| (SLIM\d{3}) \| ([^|]+) \|", RegexOptions.Multiline).Select(m => (m.Groups[1].Value, m.Groups[2].Value.Trim()));
        Assert.Equal(ManifestErrorCode.All, codes);
    }
}
