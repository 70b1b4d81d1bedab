using SlimLLM.Manifest;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Manifest;

/// <summary>
/// A temp folder laid out like a project: models/m (a model folder), data/cal/{z.txt, a.txt, notes.md, sub/b.txt},
/// data/test.txt, with the manifest written to slimllm.yaml.
/// </summary>
public sealed class ManifestWorkspace : IDisposable
{
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-manifest");

    public ManifestWorkspace()
    {
        Directory.CreateDirectory(Path.Combine(Root, "models", "m"));
        File.WriteAllText(Path.Combine(Root, "models", "m", "config.json"), "{}");
        // Created out of order: the loader must sort.
        foreach (var f in new[] { "data/cal/z.txt", "data/cal/sub/b.txt", "data/cal/a.txt", "data/cal/notes.md", "data/test.txt" })
            Write(f, "Once upon a time.");
    }

    public string Root => _temp.Path;
    public string ManifestPath => Path.Combine(Root, "slimllm.yaml");

    public string Full(string relative) => Path.GetFullPath(Path.Combine(Root, relative));

    public void Write(string relative, string content)
    {
        var path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public PruneManifest Load(string yaml)
    {
        File.WriteAllText(ManifestPath, yaml);
        return ManifestLoader.Load(ManifestPath);
    }

    public IReadOnlyList<ManifestError> Errors(string yaml)
    {
        File.WriteAllText(ManifestPath, yaml);
        var e = Assert.Throws<ManifestException>(() => ManifestLoader.Load(ManifestPath));
        Assert.Equal(string.Join("\n", e.Errors.Select(x => x.ToString())), e.Message);
        return e.Errors;
    }

    /// <summary>Asserts the manifest has exactly one error, and its canonical line.</summary>
    public ManifestError SingleError(string yaml, int line, int column, string code, string message, string fix)
    {
        var errors = Errors(yaml);
        var error = Assert.Single(errors);
        Assert.Equal($"{ManifestPath}({line},{column}): error {code}: {message} {fix}", error.ToString());
        Assert.Equal((line, column, code, message, fix), (error.Line!.Value, error.Column!.Value, error.Code, error.Message, error.Fix));
        return error;
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>The smallest valid manifest for the workspace; lines 1-8.</summary>
    public const string Minimal = """
        models:
          - name: m
            source:
              path: models/m
            calibration:
              files: data/cal/*.txt
            pruning:
              target: 0.2

        """;
}
