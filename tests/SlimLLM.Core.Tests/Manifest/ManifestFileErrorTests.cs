using SlimLLM.Manifest;

namespace SlimLLM.Tests.Manifest;

/// <summary>Files the manifest names must exist, and every calibration pattern must match one, before any work starts.</summary>
public sealed class ManifestFileErrorTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private const string RelativeFix = "Check the path: relative paths are resolved from the manifest's folder.";

    [Fact]
    public void Missing_source_path() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("path: models/m", "path: models/missing"), 4, 13, "SLIM008",
            $"source path 'models/missing' does not exist (resolved to '{_ws.Full("models/missing")}').",
            "Check the path: relative paths are resolved from the manifest's folder; it names a Hugging Face folder or a .gguf file.");

    [Fact]
    public void Missing_evaluation_text() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    evaluate:\n      - text: data/nope.txt\n", 10, 15, "SLIM008",
            $"evaluation text 'data/nope.txt' does not exist (resolved to '{_ws.Full("data/nope.txt")}').", RelativeFix);

    [Fact]
    public void Evaluation_text_that_is_a_folder() =>
        _ws.SingleError(ManifestWorkspace.Minimal + "    evaluate:\n      - text: data\n", 10, 15, "SLIM008",
            "evaluation text 'data' is not a file: it is a folder; name a text file.", "Point it at a file.");

    [Fact]
    public void Missing_calibration_file() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("data/cal/*.txt", "data/cal/missing.txt"), 6, 14, "SLIM008",
            $"calibration file 'data/cal/missing.txt' does not exist (resolved to '{_ws.Full("data/cal/missing.txt")}').", RelativeFix);

    [Fact]
    public void Calibration_folder_instead_of_a_pattern() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("data/cal/*.txt", "data/cal/"), 6, 14, "SLIM008",
            "calibration file 'data/cal/' is not a file: it is a folder; use a pattern such as 'data/cal/**/*.txt'.", "Point it at a file.");

    [Fact]
    public void Missing_feed_folder() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("path: models/m", "nuget: Some.Package\n      feed: feeds/local"), 5, 13, "SLIM008",
            $"feed folder 'feeds/local' does not exist (resolved to '{_ws.Full("feeds/local")}').",
            "Give an http(s) feed URL or an existing folder of .nupkg files, relative to the manifest's folder.");

    [Fact]
    public void Pattern_matching_no_file() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("files: data/cal/*.txt", "files: [data/cal/*.txt, \"data/**/*.csv\"]"), 6, 31, "SLIM009",
            $"calibration pattern 'data/**/*.csv' matches no file (searched under '{_ws.Full("data")}').",
            "Fix the pattern: it is relative to the manifest's folder, '*' matches within one folder and '**' any depth of folders.");

    [Fact]
    public void Pattern_under_a_missing_folder() =>
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("data/cal/*.txt", "text/**/*.txt"), 6, 14, "SLIM009",
            $"calibration pattern 'text/**/*.txt' matches no file (folder '{_ws.Full("text")}' does not exist).",
            "Fix the pattern: it is relative to the manifest's folder, '*' matches within one folder and '**' any depth of folders.");

    [Fact]
    public void Missing_manifest_has_no_position()
    {
        var path = _ws.Full("nope/slimllm.yaml");
        var e = Assert.Throws<ManifestException>(() => ManifestLoader.Load(path));
        var error = Assert.Single(e.Errors);
        Assert.Null(error.Position);
        Assert.Equal($"{path}: error SLIM013: manifest file not found. Create one with 'slimllm init', or pass the path of an existing slimllm.yaml.", e.Message);
        Assert.Equal(path, e.File);
        Assert.Equal(2, e.ExitCode);
    }

    [Fact]
    public void Folder_passed_as_the_manifest()
    {
        var e = Assert.Throws<ManifestException>(() => ManifestLoader.Load(_ws.Root));
        Assert.Equal($"{_ws.Root}: error SLIM013: is a folder, not a manifest file. Pass the manifest file, e.g. '{_ws.ManifestPath}'.", e.Message);
    }
}
