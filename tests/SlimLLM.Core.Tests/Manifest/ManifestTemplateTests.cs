using System.Text.RegularExpressions;
using SlimLLM.Manifest;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Manifest;

public sealed class ManifestTemplateTests : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir("slimllm-template");

    public void Dispose() => _dir.Dispose();

    private string Rel(string path) => Path.GetRelativePath(_dir.Path, path).Replace('\\', '/');

    [Fact]
    public void Template_filled_with_the_shared_model_and_texts_loads()
    {
        File.WriteAllText(_dir.File("slimllm.yaml"), ManifestTemplate.Render("tinystories-slim", Rel(TestData.TinyStoriesLlama),
            Rel(Path.Combine(TestData.Root, "text")) + "/tiny*.txt", Rel(TestData.WikiText2Test)));

        var manifest = ManifestLoader.Load(_dir.File("slimllm.yaml"));

        Assert.Null(manifest.CacheDir);
        var m = Assert.Single(manifest.Models);
        Assert.Equal("tinystories-slim", m.Name);
        Assert.Equal(new PathSourceSpec(Path.GetFullPath(TestData.TinyStoriesLlama)), m.Source);
        Assert.Equal([Path.GetFullPath(TestData.TinyStoriesValid)], m.Calibration.Files);
        Assert.Equal((32, 128, 42, CalibrationMode.Sequential), (m.Calibration.Samples, m.Calibration.SeqLen, m.Calibration.Seed, m.Calibration.Mode));
        Assert.Equal(new PruningSpec(MethodRegistry.Method("slimllm"), 0.20, null, null, null, 0.9, null, true), m.Pruning);
        Assert.Equal([new EvaluateSpec(Path.GetFullPath(TestData.WikiText2Test), 65536, 128, 0.50)], m.Evaluate);
        Assert.Equal(Path.Combine(_dir.Path, "out", "tinystories-slim"), m.OutputDir);
        Assert.Equal([OutputFormat.Safetensors], m.Formats);
        Assert.Equal("auto", m.Device);
    }

    [Fact]
    public void Template_text_loads_once_its_placeholder_paths_exist()
    {
        File.WriteAllText(_dir.File("slimllm.yaml"), ManifestTemplate.Text);
        var e = Assert.Throws<ManifestException>(() => ManifestLoader.Load(_dir.File("slimllm.yaml")));
        Assert.Equal(["SLIM008", "SLIM009", "SLIM008"], e.Errors.Select(x => x.Code));

        Directory.CreateDirectory(_dir.File("models/my-model"));
        Directory.CreateDirectory(_dir.File("data/calibration/books"));
        File.WriteAllText(_dir.File("data/calibration/books/one.txt"), "text");
        File.WriteAllText(_dir.File("data/test.txt"), "text");
        var m = Assert.Single(ManifestLoader.Load(_dir.File("slimllm.yaml")).Models);

        Assert.Equal(ManifestTemplate.DefaultName, m.Name);
        Assert.Equal([_dir.File("data/calibration/books/one.txt")], m.Calibration.Files);
    }

    [Fact]
    public void Template_tunes_only_once_its_tuning_example_is_uncommented()
    {
        File.WriteAllText(_dir.File("t.txt"), "text");
        var text = ManifestTemplate.Render(modelPath: ".", calibrationFiles: "t.txt", evaluationText: "t.txt");
        File.WriteAllText(_dir.File("slimllm.yaml"), text);
        Assert.Null(Assert.Single(ManifestLoader.Load(_dir.File("slimllm.yaml")).Models).Tuning);

        File.WriteAllText(_dir.File("slimllm.yaml"), Regex.Replace(text, "^    # (tuning:|  [a-z_]+: )", "    $1", RegexOptions.Multiline));
        var t = Assert.Single(ManifestLoader.Load(_dir.File("slimllm.yaml")).Models).Tuning;

        Assert.NotNull(t);
        Assert.Equal([_dir.File("t.txt")], t.Files);
        Assert.Equal((200, 1e-4, 8), (t.Steps, t.LearningRate, t.Rank));
    }

    [Fact]
    public void Template_names_no_repository_file_and_without_a_shipped_schema_has_no_modeline()
    {
        Assert.DoesNotContain("docs/", ManifestTemplate.Text);
        Assert.DoesNotContain("setup.sh", ManifestTemplate.Text);
        Assert.Contains("manifest-reference.md in the slimllm tool's folder", ManifestTemplate.Text);
        Assert.Equal(ManifestTemplate.Text, ManifestTemplate.ForTool(_dir.Path)); // no slimllm.schema.json there
    }

    [Fact]
    public void Paths_with_quotes_and_backslashes_survive_rendering()
    {
        var odd = Directory.CreateDirectory(_dir.File("it's a \\ model")).FullName;
        File.WriteAllText(_dir.File("t.txt"), "text");
        File.WriteAllText(_dir.File("slimllm.yaml"), ManifestTemplate.Render(modelPath: odd, calibrationFiles: "t.txt", evaluationText: "t.txt"));

        var m = Assert.Single(ManifestLoader.Load(_dir.File("slimllm.yaml")).Models);

        Assert.Equal(new PathSourceSpec(odd), m.Source);
    }
}
