namespace SlimLLM.Tests.Manifest;

/// <summary>YAML that cannot be parsed: one error at the position YamlDotNet reports (its start mark).</summary>
public sealed class ManifestSyntaxErrorTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private const string Fix = "Fix the YAML here: check the indentation, quotes, brackets and the ':' after each key.";

    [Fact]
    public void Key_indented_under_a_scalar() =>
        _ws.SingleError("models:\n  - name: m\n     source: x\n", 3, 12, "SLIM001",
            "YAML syntax error: while scanning a plain scalar value, found invalid mapping.", Fix);

    [Fact]
    public void Unclosed_quote() =>
        _ws.SingleError("models:\n  - name: \"m\n    source: x\n", 2, 11, "SLIM001",
            "YAML syntax error: while scanning a multi-line double-quoted scalar, found wrong indentation.", Fix);

    [Fact]
    public void Entry_outdented_out_of_its_list() =>
        _ws.SingleError("models:\n  - name: m\n  source: {path: x}\n", 3, 3, "SLIM001",
            "YAML syntax error: while parsing a block collection, did not find expected '-' indicator.", Fix);

    [Fact]
    public void Unclosed_flow_list_at_the_end() =>
        _ws.SingleError("models:\n  - name: m\n    calibration:\n      files: [a.txt, b.txt\n", 5, 1, "SLIM001",
            "YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'.", Fix);

    [Fact]
    public void Unclosed_flow_list_followed_by_keys_is_reported_at_its_bracket() =>
        // YamlDotNet throws InvalidOperationException here, not a YamlException with a mark.
        _ws.SingleError("models:\n  - name: m\n    calibration:\n      files: [a.txt, b.txt\n    pruning: {target: 0.2}\n", 4, 14, "SLIM001",
            "YAML syntax error: the parser could not read past this point.", "Check that every '[', '{' and quote opened here is closed.");

    [Fact]
    public void Second_document() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "---\nmodels: []\n", 9, 1, "SLIM001",
            "the manifest has more than one YAML document ('---').", "Keep one document: list every model under the one 'models:' key.");

    [Fact]
    public void Alias_without_anchor() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("target: 0.2", "target: *t"), 8, 15, "SLIM001",
            "YAML syntax error: alias '*t' refers to no anchor defined before it.", "Define '&t' on an earlier value, or write the value out.");

    [Fact]
    public void Anchors_and_aliases_resolve()
    {
        var manifest = _ws.Load("models:\n  - name: a\n    source: &src {path: models/m}\n    calibration: &cal {files: data/test.txt}\n    pruning: {target: 0.2}\n" +
                                "  - name: b\n    source: *src\n    calibration: *cal\n    pruning: {ratio: 0.3}\n");
        Assert.Equal(manifest.Models[0].Source, manifest.Models[1].Source);
        Assert.Equal([_ws.Full("data/test.txt")], manifest.Models[1].Calibration.Files);
    }
}
