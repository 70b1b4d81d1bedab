using System.Diagnostics;
using Microsoft.Build.Framework;

namespace SlimLLM.Build.Tasks.Tests;

/// <summary>
/// The SlimLLMPrune task against a fake slimllm (as Grpc.Tools tests its targets against a fake protoc): the exit code and
/// the JSON report become MSBuild errors, warnings and messages; stderr is log text only.
/// </summary>
public sealed class SlimLLMPruneTests
{
    private readonly RecordingBuildEngine _engine = new();

    private (bool Ok, SlimLLMPrune Task) Run(FakeTool fake)
    {
        var task = fake.Task(_engine);
        return (task.Execute(), task);
    }

    [Fact]
    public void Success_returns_the_model_folders_and_writes_a_stamp_listing_them_and_every_file_the_prune_read()
    {
        using var fake = new FakeTool();
        var output = fake.PathOf("out/tiny");
        var calibration = fake.PathOf("calib.txt");
        fake.Script(Reports.Of([Reports.Model("tiny", output, inputs: [calibration], evaluation: [Reports.Evaluation("eval.txt", 10, 10.5, max: 0.1)])]),
            stderr: ["calibration: started (8 steps)", "error: prose on stderr is progress, not an error"]);

        var (ok, task) = Run(fake);

        Assert.True(ok, _engine.Log());
        Assert.Empty(_engine.Errors);
        var folder = Assert.Single(task.ModelFolders);
        Assert.Equal(output, folder.ItemSpec);
        Assert.Equal("tiny", folder.GetMetadata("ModelName"));
        Assert.Equal(["prune", fake.Manifest, "--json", "--device", "cpu"], fake.Args!);
        var stamp = PruneStamp.TryRead(fake.Stamp)!;
        Assert.Equal([new KeyValuePair<string, string>("tiny", output)], stamp.Models);
        Assert.Equal([fake.Manifest, calibration], stamp.Inputs);
        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.Normal &&
            m.Message == $"SlimLLM: tiny -> {output}, parameters 260,000 -> 210,000 (decoder layers -25.0%), perplexity on eval.txt: 10.000 -> 10.500");
        // The line a person reads (the targets log it where the terminal logger shows it).
        var result = Assert.Single(task.Results);
        Assert.Equal("tiny", result.ItemSpec);
        Assert.Equal("tiny: parameters 260,000 → 210,000 (-19.2%, decoder layers -25.0%), perplexity 10.000 → 10.500 (+5.0%) on eval.txt", result.GetMetadata("Summary"));
        Assert.Contains(_engine.Messages, m => m.Message == "slimllm: error: prose on stderr is progress, not an error");
    }

    [Fact]
    public void SlimLLMOffline_passes_offline_to_the_tool()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of([Reports.Model("tiny", fake.PathOf("out/tiny"))]));
        var task = fake.Task(_engine);
        task.Offline = true;

        Assert.True(task.Execute(), _engine.Log());
        Assert.Equal(["prune", fake.Manifest, "--json", "--device", "cpu", "--offline"], fake.Args!);
    }

    [Fact]
    public void A_manifest_error_is_an_msbuild_error_at_its_file_line_and_column_with_its_code()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of(errors: [Reports.Diagnostic("unknown key 'taget' in 'pruning'. Did you mean 'target'?", fake.Manifest, 12, 7, "SLIM002")]), exit: 2,
            stderr: [$"{fake.Manifest}(12,7): error SLIM002: unknown key 'taget' in 'pruning'. Did you mean 'target'?"]);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("SLIM002", fake.Manifest, 12, 7), (error.Code, error.File, error.LineNumber, error.ColumnNumber));
        Assert.Equal("unknown key 'taget' in 'pruning'. Did you mean 'target'?", error.Message);
        Assert.False(File.Exists(fake.Stamp));
    }

    [Fact]
    public void Bad_input_without_a_code_is_SLIM100_at_the_file_the_tool_names()
    {
        using var fake = new FakeTool();
        var calibration = fake.PathOf("calib.txt");
        fake.Script(Reports.Of(errors: [Reports.Diagnostic("the calibration text is empty. Give it some text.", calibration)]), exit: 2);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("SLIM100", calibration, 0), (error.Code, error.File, error.LineNumber));
        Assert.Equal("the calibration text is empty. Give it some text.", error.Message);
    }

    [Fact]
    public void A_failed_gate_is_SLIM101_with_both_perplexities_and_the_rejected_folder_and_leaves_no_stamp()
    {
        using var fake = new FakeTool();
        var rejected = fake.PathOf("out/tiny.rejected");
        fake.Script(Reports.Of([Reports.Model("tiny", rejected, rejected: true,
            evaluation: [Reports.Evaluation("/data/valid.txt", 10, 12, max: 0.01), Reports.Evaluation("/data/other.txt", 10, 10.05, max: 0.01)])]), exit: 3);

        var (ok, task) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("SLIM101", fake.Manifest), (error.Code, error.File));
        Assert.Equal("model 'tiny' failed its evaluate gate: perplexity on /data/valid.txt rose from 10.000 (dense) to 12.000 (pruned), +20.0%, above the allowed +1.0%. " +
                     $"The rejected model is in {rejected}; the previous output was left as it was. Prune less (lower target) or raise max_perplexity_increase.", error.Message);
        Assert.Empty(task.ModelFolders);
        Assert.False(File.Exists(fake.Stamp));
    }

    [Fact]
    public void An_internal_error_is_SLIM106_with_the_tools_message()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of(errors: [Reports.Diagnostic("internal error (NullReferenceException: oops). This is a bug in slimllm.")]), exit: 1);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("SLIM106", fake.Manifest), (error.Code, error.File));
        Assert.StartsWith("internal error (NullReferenceException: oops)", error.Message);
    }

    [Theory]
    [InlineData(130)]
    [InlineData(143)]
    public void A_tool_stopped_by_a_signal_is_SLIM107(int exit)
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of(errors: [Reports.Diagnostic("cancelled by SIGTERM; temporary files were removed and any previous output left as it was.")]), exit: exit);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        Assert.Equal("SLIM107", Assert.Single(_engine.Errors).Code);
        Assert.False(File.Exists(fake.Stamp));
    }

    [Fact]
    public void Warnings_of_the_report_are_SLIM102_warnings()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of([Reports.Model("tiny", fake.PathOf("out/tiny"))], warnings: [Reports.Diagnostic("feeds unreachable; using cached 1.0.0.")]));

        var (ok, _) = Run(fake);

        Assert.True(ok, _engine.Log());
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("SLIM102", fake.Manifest, "feeds unreachable; using cached 1.0.0."), (warning.Code, warning.File, warning.Message));
    }

    [Theory]
    [InlineData("not json", 0, "not its JSON report")]
    [InlineData("""{"version": 2, "models": []}""", 0, "a report of version 2; this SlimLLM.Build reads version 1")]
    [InlineData("", 0, "exited with code 0 (success) without its JSON report")]
    [InlineData("""{"version": 1, "models": []}""", 137, "exited with code 137, which is not one of its exit codes")]
    [InlineData("""{"version": 1, "models": []}""", 3, "an evaluate gate failed, but the report lists no rejected model")]
    public void A_report_that_breaks_the_contract_is_SLIM105(string stdout, int exit, string expected)
    {
        using var fake = new FakeTool();
        fake.Script(stdout, exit);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("SLIM105", error.Code);
        Assert.Contains(expected, error.Message);
        Assert.False(File.Exists(fake.Stamp));
    }

    [Theory]
    [InlineData(2, "SLIM100", "exited with code 2 (bad input) without its JSON report")]
    [InlineData(130, "SLIM107", "exited with code 130 (SIGINT) without its JSON report")]
    [InlineData(134, "SLIM105", "exited with code 134 (not one of its exit codes) without its JSON report")]
    public void Without_a_report_the_exit_code_says_what_happened(int exit, string code, string expected)
    {
        using var fake = new FakeTool();
        fake.Script("", exit, stderr: ["error: Unrecognized command or argument '--bogus'."]);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(code, error.Code);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_missing_tool_is_SLIM103_and_runs_nothing()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of());
        var task = fake.Task(_engine);
        task.ToolAssembly = fake.PathOf("tools/slimllm.dll");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("SLIM103", fake.Manifest), (error.Code, error.File));
        Assert.Contains("SlimLLMToolPath", error.Message);
        Assert.Null(fake.Args);
    }

    [Fact]
    public void A_missing_manifest_is_SLIM104_and_runs_nothing()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of());
        File.Delete(fake.Manifest);

        var (ok, _) = Run(fake);

        Assert.False(ok);
        Assert.Equal("SLIM104", Assert.Single(_engine.Errors).Code);
        Assert.Null(fake.Args);
    }

    /// <summary>Runs the task on a thread, cancels it once the fake has started, and returns its result and time.</summary>
    private (bool? Result, TimeSpan Elapsed) CancelWhileRunning(FakeTool fake, SlimLLMPrune task)
    {
        var clock = Stopwatch.StartNew();
        bool? result = null;
        var run = new Thread(() => result = task.Execute());
        run.Start();
        while (fake.Args is null && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
        Assert.NotNull(fake.Args);
        task.Cancel();
        Assert.True(run.Join(TimeSpan.FromSeconds(30)), "the task did not return after Cancel");
        return (result, clock.Elapsed);
    }

    [Fact]
    public void Cancelling_the_build_asks_the_tool_to_stop_through_its_cancel_file_and_leaves_no_stamp()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of([Reports.Model("tiny", "/out/tiny")]), sleepMs: 60_000, honourCancel: true);
        var task = fake.Task(_engine);

        var (result, elapsed) = CancelWhileRunning(fake, task);

        Assert.False(result);
        // The tool stopped by itself (exit 130, as on SIGINT), long before the kill deadline.
        Assert.NotNull(fake.CancelFileSeen);
        Assert.True(elapsed < TimeSpan.FromSeconds(task.StopTimeoutSeconds / 2.0), $"took {elapsed}");
        Assert.False(File.Exists(fake.CancelFileSeen), "the cancel file was left behind");
        Assert.Contains(_engine.Messages, m => m.Message == "slimllm: the build was cancelled: stopping at the next safe point");
        Assert.Empty(_engine.Errors);
        Assert.False(File.Exists(fake.Stamp));
    }

    [Fact]
    public void A_tool_that_does_not_stop_when_asked_is_killed_after_the_stop_timeout()
    {
        using var fake = new FakeTool();
        fake.Script(Reports.Of([Reports.Model("tiny", "/out/tiny")]), sleepMs: 60_000);
        var task = fake.Task(_engine);
        task.StopTimeoutSeconds = 2;

        var (result, elapsed) = CancelWhileRunning(fake, task);

        Assert.False(result);
        Assert.Null(fake.CancelFileSeen);
        Assert.True(elapsed >= TimeSpan.FromSeconds(2) && elapsed < TimeSpan.FromSeconds(20), $"took {elapsed}");
        Assert.Empty(_engine.Errors);
        Assert.False(File.Exists(fake.Stamp));
    }
}
