using System.Diagnostics;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Tests.Support;
using Xunit;
using static SlimLLM.Tests.Output.OutputSafetyTests;

namespace SlimLLM.Tests.Output;

/// <summary>
/// Everything a run writes (safetensors, GGUF, slimllm.json) appears together or not at all: concurrent runs into one output
/// serialize, a failed gate keeps the previous output, and SIGINT/SIGTERM stop cleanly.
/// </summary>
public class OutputCommitTests
{
    private static string Manifest(string dir, string gate = "", string formats = "[safetensors, gguf]")
    {
        var path = Path.Combine(dir, $"slimllm-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            models:
              - name: slim
                source: {"{"} path: {TestData.TinyStoriesLlama} {"}"}
                calibration: {"{"} files: ["{TestData.TinyStoriesValid}"], samples: 4, seq_len: 64 {"}"}
                pruning: {"{"} target: 0.2 {"}"}
                evaluate:
                  - text: {TestData.TinyStoriesValid}
                    max_tokens: 2048{gate}
                output: {"{"} dir: {Path.Combine(dir, "out")}, formats: {formats} {"}"}
                device: cpu
            """);
        return path;
    }

    private static string[] Entries(string folder) =>
        Directory.GetFileSystemEntries(folder).Select(e => Path.GetFileName(e)!).Where(n => !n.EndsWith(".lock")).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void A_failed_gate_keeps_the_previous_output_byte_for_byte_and_puts_the_rejected_model_beside_it()
    {
        using var dir = TestData.NewTempDir();
        var ok = ToolRunner.Run("prune", Manifest(dir.Path), "--no-cache");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var output = Path.Combine(dir.Path, "out", "slim");
        var before = Hashes(output);
        Assert.Contains("model.gguf", before.Keys);

        var failed = ToolRunner.Run("prune", Manifest(dir.Path, "\n        max_perplexity_increase: 0.0001"), "--no-cache");
        var rejected = output + ".rejected";
        AssertOneLineError(failed, 3, $"The rejected model is in {rejected}");
        Assert.Equal(before, Hashes(output));
        Assert.Equal(["slim", "slim.rejected"], Entries(Path.Combine(dir.Path, "out")));
        Assert.True(File.Exists(Path.Combine(rejected, "slimllm.json")) && File.Exists(Path.Combine(rejected, "model.gguf")));
        Assert.Contains("(rejected: an evaluate gate failed)", failed.Stdout);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Concurrent_prunes_into_one_output_with_gguf_all_succeed_and_leave_one_complete_output(int runs)
    {
        using var dir = TestData.NewTempDir();
        var manifest = Manifest(dir.Path);
        var cache = Path.Combine(dir.Path, "cache");
        // The test holds the output's lock while the runs start, so that they overlap however fast or slow this machine is:
        // each one that reaches the lock in the first seconds must wait, then all go through one at a time.
        var output = Path.Combine(dir.Path, "out", "slim");
        List<ToolResult> results;
        using (var held = OutputLock.Acquire(output, NullProgress.Instance))
        {
            var running = Enumerable.Range(0, runs)
                .Select(_ => Task.Factory.StartNew(() => ToolRunner.Run("prune", manifest, "--cache-dir", cache), TaskCreationOptions.LongRunning))
                .ToList();
            Thread.Sleep(TimeSpan.FromSeconds(10));
            held.Dispose();
            results = running.Select(t => t.Result).ToList();
        }
        foreach (var r in results) Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(results, r => r.Stderr.Contains("waiting for another slimllm run that is writing"));
        Assert.Equal(["slim"], Entries(Path.Combine(dir.Path, "out")));
        var files = Hashes(output);
        Assert.Contains("model.gguf", files.Keys);
        Assert.Contains("model.safetensors", files.Keys);

        // The same inputs pruned alone give the same weights and GGUF.
        var alone = Path.Combine(dir.Path, "alone");
        Assert.Equal(0, ToolRunner.Run(Prune(alone, "--cache-dir", cache)).ExitCode);
        var reference = Hashes(alone);
        Assert.Equal(reference["model.safetensors"], files["model.safetensors"]);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_stops_the_run_cleanly_and_leaves_the_previous_output(string signal, int exitCode)
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("slim");
        Assert.Equal(0, ToolRunner.Run(Prune(output)).ExitCode);
        var before = Hashes(output);

        // A run that takes long enough to be interrupted: perplexity over all of WikiText-2.
        AssertStopsCleanly([.. Prune(output, "--eval", TestData.WikiText2Test)], "perplexity (dense)", signal, exitCode);
        Assert.Equal(before, Hashes(output));
        Assert.Equal(["slim"], Entries(dir.Path));
    }

    [Fact]
    public void Every_command_that_shows_progress_stops_at_its_next_step_on_a_signal()
    {
        AssertStopsCleanly(["eval", "--model", TestData.TinyStoriesLlama, "--text", TestData.WikiText2Test], "perplexity: started", "TERM", 143);
    }

    /// <summary>Starts the tool, waits for a stderr line starting with <paramref name="waitFor"/>, sends the signal, checks the exit.</summary>
    private static void AssertStopsCleanly(string[] args, string waitFor, string signal, int exitCode)
    {
        // Through `env --default-signal=INT`: a test run started in the background by a non-interactive shell ignores SIGINT,
        // and the tool would inherit that.
        var psi = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["--default-signal=INT", "dotnet", ToolRunner.ToolDll, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null)
        {
            stderr.AppendLine(line);
            if (line.StartsWith(waitFor, StringComparison.Ordinal)) break;
        }
        Assert.True(line is not null, $"never printed '{waitFor}':\n{stderr}");
        using (var kill = Process.Start("kill", ["-" + signal, p.Id.ToString()])) kill.WaitForExit();
        stderr.Append(p.StandardError.ReadToEnd());
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "the run did not stop within 30 s of the signal");
        Assert.True(p.ExitCode == exitCode, $"exit {p.ExitCode}\n{stderr}");
        Assert.Contains($"error: cancelled by SIG{signal}", stderr.ToString());
        Assert.DoesNotContain("   at ", stderr.ToString());
    }
}
