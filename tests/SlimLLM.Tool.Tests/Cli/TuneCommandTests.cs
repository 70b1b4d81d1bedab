using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

/// <summary><c>slimllm tune</c> and <c>tuning:</c> in a manifest, run as the real tool.</summary>
public class TuneCommandTests
{
    private static string Prune(TempDir dir)
    {
        var r = ToolRunner.Run("prune", "--model", TestData.Stories260KGguf, "-c", TestData.TinyStoriesValid, "--target", "0.5",
            "--samples", "8", "--seq-len", "64", "--no-cache", "-o", dir.File("pruned"), "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return dir.File("pruned");
    }

    private static string[] Tune(string model, string output, string cache, params string[] more) =>
        ["tune", "-m", model, "--text", TestData.TinyStoriesValid, "-o", output, "--steps", "12", "--seq-len", "64", "--learning-rate", "1e-3",
         "--eval", TestData.TinyStoriesValid, "--max-tokens", "2048", "--cache-dir", cache, "--json", .. more];

    [Fact]
    public void Tune_writes_a_tuned_folder_reports_losses_and_perplexities_and_an_unchanged_rerun_trains_nothing()
    {
        using var dir = TestData.NewTempDir();
        var pruned = Prune(dir);
        var first = ToolRunner.Run(Tune(pruned, dir.File("tuned"), dir.File("cache"), "--gguf", "f16"));
        Assert.True(first.ExitCode == 0, first.Stderr);
        using var report = JsonDocument.Parse(first.Stdout);
        var root = report.RootElement;
        Assert.False(root.GetProperty("cached").GetBoolean());
        Assert.Equal(12, root.GetProperty("backward_passes").GetInt32());
        Assert.True(root.GetProperty("held_out_loss_end").GetDouble() < root.GetProperty("held_out_loss_start").GetDouble());
        var eval = root.GetProperty("evaluation")[0];
        Assert.True(eval.GetProperty("tuned_perplexity").GetDouble() < eval.GetProperty("untuned_perplexity").GetDouble());
        // Logged as it goes: the loss at each tenth of the steps.
        Assert.Contains("tuned: step 12/12: loss ", first.Stderr);

        using var provenance = JsonDocument.Parse(File.ReadAllText(dir.File("tuned/slimllm.json")));
        var tuning = provenance.RootElement.GetProperty("tuning");
        Assert.Equal(12, tuning.GetProperty("steps").GetInt32());
        Assert.Equal(64, tuning.GetProperty("seq_len").GetInt32());
        Assert.Equal(0, provenance.RootElement.GetProperty("evaluation").GetArrayLength());   // the pruned folder's numbers were the untuned weights'
        Assert.True(File.Exists(dir.File("tuned/model.gguf")));
        Assert.Equal(File.ReadAllText(dir.File("pruned/config.json")), File.ReadAllText(dir.File("tuned/config.json")));

        var again = ToolRunner.Run(Tune(pruned, dir.File("tuned"), dir.File("cache"), "--gguf", "f16"));
        Assert.True(again.ExitCode == 0, again.Stderr);
        using var second = JsonDocument.Parse(again.Stdout);
        Assert.True(second.RootElement.GetProperty("cached").GetBoolean());
        Assert.Equal(0, second.RootElement.GetProperty("forward_passes").GetInt32());
        Assert.Equal(0, second.RootElement.GetProperty("backward_passes").GetInt32());
        Assert.Equal(0, second.RootElement.GetProperty("cache").GetProperty("misses").GetInt32());
    }

    [Fact]
    public void What_cannot_be_tuned_is_refused_with_the_file_and_the_fix()
    {
        using var dir = TestData.NewTempDir();
        var pruned = Prune(dir);
        var cache = dir.File("cache");

        var dense = ToolRunner.Run(Tune(TestData.TinyStoriesLlama, dir.File("t1"), cache));
        Assert.Equal(2, dense.ExitCode);
        Assert.Contains("is not a model slimllm pruned (it has no slimllm.json)", dense.Stderr);

        var inPlace = ToolRunner.Run(Tune(pruned, pruned, cache));
        Assert.Equal(2, inPlace.ExitCode);
        Assert.Contains("is the model being tuned", inPlace.Stderr);

        var target = ToolRunner.Run(Tune(pruned, dir.File("t2"), cache, "--targets", "q_proj,vproj"));
        Assert.Equal(2, target.ExitCode);
        Assert.Contains("'vproj', which is not a LoRA target (did you mean v_proj?)", target.Stderr);

        var fraction = ToolRunner.Run(Tune(pruned, dir.File("t3"), cache, "--held-out-fraction", "0.5"));
        Assert.Equal(2, fraction.ExitCode);
        Assert.Contains("--held-out-fraction is 0.5; it must be above 0 and below 0.5", fraction.Stderr);

        var tooLong = ToolRunner.Run(["tune", "-m", pruned, "--text", TestData.TinyStoriesValid, "-o", dir.File("t4"), "--seq-len", "100000", "--no-cache"]);
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Contains("above the model's context", tooLong.Stderr);

        File.WriteAllText(dir.File("short.txt"), "Once upon a time.");
        var shortText = ToolRunner.Run(["tune", "-m", pruned, "--text", dir.File("short.txt"), "-o", dir.File("t5"), "--no-cache"]);
        Assert.Equal(2, shortText.ExitCode);
        Assert.Contains("short.txt", shortText.Stderr);
        Assert.Contains("too few for training and held-out windows", shortText.Stderr);

        Assert.All(new[] { dense, inPlace, target, fraction, tooLong, shortText }, r => Assert.DoesNotContain("   at ", r.Stderr));
        Assert.False(Directory.Exists(dir.File("t5")));

        Assert.True(ToolRunner.Run(Tune(pruned, dir.File("tuned"), cache)).ExitCode == 0);
        var twice = ToolRunner.Run(Tune(dir.File("tuned"), dir.File("t6"), cache));
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("says this model is tuned already", twice.Stderr);
    }

    [Fact]
    public void A_manifest_with_tuning_reports_the_losses_and_the_untuned_perplexity_in_json()
    {
        using var dir = TestData.NewTempDir();
        File.Copy(TestData.TinyStoriesValid, dir.File("tune.txt"));
        File.WriteAllText(dir.File("slimllm.yaml"), $"""
            models:
              - name: slim
                source:
                  path: {TestData.Stories260KGguf}
                calibration:
                  files: [{TestData.TinyStoriesValid}]
                  samples: 8
                  seq_len: 64
                pruning:
                  target: 0.5
                tuning:
                  files: [tune.txt]
                  steps: 8
                  seq_len: 64
                  learning_rate: 1e-3
                evaluate:
                  - text: {TestData.TinyStoriesValid}
                    max_tokens: 2048
            """);
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var report = JsonDocument.Parse(r.Stdout);
        var model = report.RootElement.GetProperty("models")[0];
        var tuning = model.GetProperty("tuning");
        Assert.Equal(8, tuning.GetProperty("backward_passes").GetInt32());
        foreach (var loss in new[] { "train_loss_start", "train_loss_end", "held_out_loss_start", "held_out_loss_end" })
            Assert.InRange(tuning.GetProperty(loss).GetDouble(), 0.5, 10);
        var eval = model.GetProperty("evaluation")[0];
        Assert.True(eval.GetProperty("pruned_perplexity").GetDouble() < eval.GetProperty("untuned_perplexity").GetDouble());
        // The build prunes again when a tuning text changes: it is one of the run's inputs.
        Assert.Contains(dir.File("tune.txt"), model.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
    }

    [Fact]
    public void A_tuning_seq_len_beyond_the_context_is_reported_at_its_line()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), $"""
            models:
              - name: slim
                source:
                  path: {TestData.Stories260KGguf}
                calibration:
                  files: [{TestData.TinyStoriesValid}]
                pruning:
                  target: 0.5
                tuning:
                  seq_len: 100000
            """);
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("slimllm.yaml(10,", r.Stderr);
        Assert.Contains("'tuning.seq_len' is 100,000, above the model's context", r.Stderr);
    }
}
