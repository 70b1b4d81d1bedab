using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class ManifestCliTests
{
    private static string Manifest(string extraPruning = "", string evaluate = "") => $"""
        cache: cache
        models:
          - name: tiny-slim
            source:
              path: {TestData.Stories260KGguf}
            calibration:
              files: ["{TestData.TinyStoriesValid}"]
              samples: 8
              seq_len: 64
            pruning:
              method: slimllm
              target: 0.2{extraPruning}
        {evaluate}
        """;

    [Fact]
    public void Prune_json_reports_the_documented_fields_and_a_rerun_is_all_hits()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest(evaluate: $"    evaluate:\n      - text: {TestData.TinyStoriesValid}\n        max_tokens: 4096\n"));
        var env = new Dictionary<string, string> { ["SLIMLLM_CACHE"] = "" };
        var cold = ToolRunner.RunIn(dir.Path, env, "prune", "--json");
        Assert.True(cold.ExitCode == 0, cold.Stderr);
        using var c = JsonDocument.Parse(cold.Stdout);
        var m = c.RootElement.GetProperty("models")[0];
        Assert.Equal("tiny-slim", m.GetProperty("name").GetString());
        Assert.Equal(Path.Combine(dir.Path, "out", "tiny-slim"), m.GetProperty("output").GetString());
        Assert.True(m.GetProperty("forward_passes").GetInt64() > 0);
        Assert.True(m.GetProperty("timings").GetProperty("total_seconds").GetDouble() > 0);
        Assert.True(m.GetProperty("parameters").GetProperty("after").GetInt64() < m.GetProperty("parameters").GetProperty("before").GetInt64());
        var eval = m.GetProperty("evaluation")[0];
        Assert.True(eval.GetProperty("pruned_perplexity").GetDouble() > eval.GetProperty("dense_perplexity").GetDouble());
        Assert.True(Directory.Exists(dir.File("cache/stats")));
        // Per layer: seconds per phase and the peak resident memory while it was pruned (no device memory on the CPU).
        foreach (var layer in m.GetProperty("layers").EnumerateArray())
        {
            var phases = layer.GetProperty("phases");
            Assert.True(phases.GetProperty("load").GetDouble() > 0);
            Assert.True(phases.GetProperty("write").GetDouble() > 0);
            Assert.InRange(layer.GetProperty("peak_rss_bytes").GetInt64(), 50_000_000, m.GetProperty("peak_rss_bytes").GetInt64());
            Assert.False(layer.TryGetProperty("peak_device_bytes", out _));
        }
        var provenance = File.ReadAllText(dir.File("out/tiny-slim/slimllm.json"));
        Assert.DoesNotContain("phases", provenance);
        Assert.DoesNotContain("peak_rss", provenance);

        var warm = ToolRunner.RunIn(dir.Path, env, "prune", "--json");
        using var w = JsonDocument.Parse(warm.Stdout);
        var wm = w.RootElement.GetProperty("models")[0];
        Assert.Equal(0, wm.GetProperty("forward_passes").GetInt64());
        Assert.Equal(0, wm.GetProperty("cache").GetProperty("misses").GetInt32());
        Assert.Equal(eval.GetProperty("pruned_perplexity").GetDouble(), wm.GetProperty("evaluation")[0].GetProperty("pruned_perplexity").GetDouble());
    }

    [Fact]
    public void A_model_from_a_local_NuGet_feed_prunes_like_the_same_model_from_a_folder()
    {
        using var dir = TestData.NewTempDir();
        var feed = dir.File("feed");
        SlimLLM.Tests.Sources.TestPackages.Build(feed, "1.0.0", SlimLLM.Tests.Sources.TestPackages.ModelFiles(TestData.TinyStoriesLlama));
        var fromFeed = Manifest().Replace($"path: {TestData.Stories260KGguf}", $"nuget: \"{SlimLLM.Tests.Sources.TestPackages.Id}@[1.0,2.0)\"\n      feed: {feed}");
        File.WriteAllText(dir.File("slimllm.yaml"), fromFeed);
        var env = new Dictionary<string, string> { ["SLIMLLM_CACHE"] = "", ["NUGET_PACKAGES"] = dir.File("gpf") };
        var r = ToolRunner.RunIn(dir.Path, env, "prune", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // slimllm.json names the package, not the machine's package folder.
        using (var provenance = JsonDocument.Parse(File.ReadAllText(dir.File("out/tiny-slim/slimllm.json"))))
            Assert.Equal($"nuget:{SlimLLM.Tests.Sources.TestPackages.Id}@1.0.0", provenance.RootElement.GetProperty("base_model").GetProperty("path").GetString());
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest().Replace(TestData.Stories260KGguf, TestData.TinyStoriesLlama).Replace("name: tiny-slim", "name: direct"));
        var direct = ToolRunner.RunIn(dir.Path, env, "prune", "--json");
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        // Same bytes, same content fingerprint: the second run reuses every statistic and writes the same model.
        using var d = JsonDocument.Parse(direct.Stdout);
        Assert.Equal(0, d.RootElement.GetProperty("models")[0].GetProperty("forward_passes").GetInt64());
        Assert.Equal(File.ReadAllBytes(dir.File("out/tiny-slim/model.safetensors")), File.ReadAllBytes(dir.File("out/direct/model.safetensors")));
    }

    [Fact]
    public void Evaluate_gate_failure_exits_3_with_both_perplexities()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest(evaluate:
            $"    evaluate:\n      - text: {TestData.TinyStoriesValid}\n        max_tokens: 4096\n        max_perplexity_increase: 0.01\n"));
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache");
        Assert.Equal(3, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("error:"));
        Assert.Matches(@"perplexity on .*tinystories-valid\.txt rose from \d+\.\d{3} to \d+\.\d{3} \(\+\d+\.\d%\), above the allowed \+1\.0%", line);
    }

    [Fact]
    public void Manifest_errors_are_canonical_lines_with_file_line_and_column()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest(extraPruning: "\n      taget: 0.3"));
        var r = ToolRunner.RunIn(dir.Path, null, "prune");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"{dir.File("slimllm.yaml")}(13,7): error SLIM002: unknown key 'taget' in 'pruning'. Did you mean 'target'?", line.Split(" Remove")[0].Split(" Use")[0].Trim());
    }

    // prune --json is the contract with SlimLLM.Build (docs/msbuild.md): a report of version 1 for every outcome.
    [Fact]
    public void A_manifest_error_is_in_the_report_with_its_code_file_line_and_column_and_still_a_canonical_line_on_stderr()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest(extraPruning: "\n      taget: 0.3"));
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--json");
        Assert.Equal(2, r.ExitCode);
        using var report = JsonDocument.Parse(r.Stdout);
        Assert.Equal(1, report.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(0, report.RootElement.GetProperty("models").GetArrayLength());
        var error = Assert.Single(report.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(("SLIM002", dir.File("slimllm.yaml"), 13, 7),
            (error.GetProperty("code").GetString(), error.GetProperty("file").GetString(), error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));
        Assert.StartsWith("unknown key 'taget' in 'pruning'. Did you mean 'target'?", error.GetProperty("message").GetString());
        Assert.StartsWith($"{dir.File("slimllm.yaml")}(13,7): error SLIM002: unknown key 'taget'", r.Stderr);
    }

    [Fact]
    public void A_failed_gate_is_a_rejected_model_with_both_perplexities_the_limit_and_the_rejected_folder()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), Manifest(evaluate:
            $"    evaluate:\n      - text: {TestData.TinyStoriesValid}\n        max_tokens: 2048\n        max_perplexity_increase: 0.01\n"));
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache", "--json");
        Assert.Equal(3, r.ExitCode);
        using var report = JsonDocument.Parse(r.Stdout);
        Assert.Empty(report.RootElement.GetProperty("errors").EnumerateArray());
        var model = Assert.Single(report.RootElement.GetProperty("models").EnumerateArray());
        Assert.True(model.GetProperty("rejected").GetBoolean());
        Assert.Equal(Path.Combine(dir.Path, "out", "tiny-slim.rejected"), model.GetProperty("output").GetString());
        var eval = Assert.Single(model.GetProperty("evaluation").EnumerateArray());
        Assert.True(eval.GetProperty("failed").GetBoolean());
        Assert.Equal(0.01, eval.GetProperty("max_perplexity_increase").GetDouble());
        Assert.True(eval.GetProperty("pruned_perplexity").GetDouble() > eval.GetProperty("dense_perplexity").GetDouble() * 1.01);
        Assert.Contains(TestData.TinyStoriesValid, model.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
    }

    [Fact]
    public void Init_writes_a_starter_manifest_and_refuses_to_overwrite()
    {
        using var dir = TestData.NewTempDir();
        var first = ToolRunner.RunIn(dir.Path, null, "init");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("models:", File.ReadAllText(dir.File("slimllm.yaml")));
        // Editors find the schema shipped beside the tool (no network, no repository checkout) through the modeline.
        var lines = File.ReadAllLines(dir.File("slimllm.yaml"));
        var schema = new Uri(Assert.Single(System.Text.RegularExpressions.Regex.Match(lines[0], @"^# yaml-language-server: \$schema=(file:///\S+)$").Groups.Values.Skip(1)).Value).LocalPath;
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "slimllm.schema.json"), schema);
        Assert.Equal("urn:slimllm-build:schema:slimllm.yaml", System.Text.Json.JsonDocument.Parse(File.ReadAllText(schema)).RootElement.GetProperty("$id").GetString());
        Assert.Contains($"# Every key, default and error code: {Path.Combine(AppContext.BaseDirectory, "manifest-reference.md")}.", lines);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "manifest-reference.md")));
        Assert.DoesNotContain("docs/", File.ReadAllText(dir.File("slimllm.yaml")));
        Assert.DoesNotContain("setup.sh", File.ReadAllText(dir.File("slimllm.yaml")));
        var again = ToolRunner.RunIn(dir.Path, null, "init");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);
        // The placeholders point nowhere yet: pruning it reports each missing path with its line, all at once.
        var prune = ToolRunner.RunIn(dir.Path, null, "prune");
        Assert.Equal(2, prune.ExitCode);
        Assert.True(prune.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2);
        Assert.All(prune.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith(dir.File("slimllm.yaml") + "(", l));
    }
}
