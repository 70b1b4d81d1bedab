using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

/// <summary>
/// The same inputs give the same output folder, byte for byte, wherever the project lies and wherever slimllm is started:
/// slimllm.json holds no absolute path and no time (the times are in the --json report).
/// </summary>
public class ReproducibleOutputTests
{
    private const string Manifest = """
        models:
          - name: tiny-slim
            source:
              path: data/model
            calibration:
              files: ["data/text/*.txt"]
              samples: 8
              seq_len: 64
            pruning:
              target: 0.2
            evaluate:
              - text: data/text/valid.txt
                max_tokens: 1024
            output:
              formats: [safetensors, gguf]
        """;

    private static string Project(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "data", "model"));
        Directory.CreateDirectory(Path.Combine(root, "data", "text"));
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama)) File.Copy(f, Path.Combine(root, "data", "model", Path.GetFileName(f)));
        File.Copy(TestData.TinyStoriesValid, Path.Combine(root, "data", "text", "valid.txt"));
        File.WriteAllText(Path.Combine(root, "slimllm.yaml"), Manifest);
        return root;
    }

    [Fact]
    public void Two_projects_at_different_places_pruned_from_different_folders_give_byte_identical_outputs()
    {
        using var dir = TestData.NewTempDir();
        var a = Project(dir.File("a"));
        var b = Project(dir.File(Path.Combine("somewhere", "deeper", "b")));
        var env = new Dictionary<string, string> { ["SLIMLLM_CACHE"] = "" };
        var ra = ToolRunner.RunIn(a, env, "prune", "--json", "--no-cache");
        var rb = ToolRunner.RunIn(dir.Path, env, "prune", Path.Combine(b, "slimllm.yaml"), "--json", "--no-cache");
        Assert.True(ra.ExitCode == 0, ra.Stderr);
        Assert.True(rb.ExitCode == 0, rb.Stderr);

        var outA = Path.Combine(a, "out", "tiny-slim");
        var outB = Path.Combine(b, "out", "tiny-slim");
        var files = Directory.GetFiles(outA).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(outB).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.Contains("slimllm.json", files);
        Assert.Contains("model.gguf", files);
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(outA, f!)).SequenceEqual(File.ReadAllBytes(Path.Combine(outB, f!))), $"{f} differs");

        var json = File.ReadAllText(Path.Combine(outA, "slimllm.json"));
        Assert.DoesNotContain(dir.Path, json);
        using var provenance = JsonDocument.Parse(json);
        var root = provenance.RootElement;
        Assert.False(root.TryGetProperty("timings_seconds", out _));
        Assert.Equal("data/model", root.GetProperty("base_model").GetProperty("path").GetString());
        Assert.Equal("data/text/valid.txt", root.GetProperty("calibration").GetProperty("files")[0].GetString());
        Assert.Equal("data/text/valid.txt", root.GetProperty("evaluation")[0].GetProperty("text").GetString());

        // The times went to the report.
        using var report = JsonDocument.Parse(ra.Stdout);
        Assert.True(report.RootElement.GetProperty("models")[0].GetProperty("timings").GetProperty("total_seconds").GetDouble() > 0);
    }

    [Fact]
    public void On_the_command_line_slimllm_json_keeps_only_file_names()
    {
        using var dir = TestData.NewTempDir();
        var r = ToolRunner.Run("prune", "--model", TestData.TinyStoriesLlama, "-c", TestData.TinyStoriesValid, "--target", "0.2",
            "--samples", "4", "--seq-len", "32", "--no-cache", "-o", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var provenance = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("out", "slimllm.json"))));
        Assert.Equal("tinystories-llama", provenance.RootElement.GetProperty("base_model").GetProperty("path").GetString());
        Assert.Equal("tinystories-valid.txt", provenance.RootElement.GetProperty("calibration").GetProperty("files")[0].GetString());
    }
}
