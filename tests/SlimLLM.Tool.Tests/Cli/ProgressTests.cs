using SlimLLM.Tests.Support;
using SlimLLM.Tool.Cli;
using SlimLLM.Tool.Cli.Progress;

namespace SlimLLM.Tests.Cli;

/// <summary>Progress when stderr is not a terminal (CI, MSBuild): per-step lines with times, heartbeats, --quiet.</summary>
public class ProgressTests
{
    /// <summary>A log view on a clock the test moves; the heartbeat interval is the test's.</summary>
    private sealed class Log
    {
        public TimeSpan Now;
        public readonly StringWriter Writer = new();
        public readonly StderrProgress Progress;

        public Log(TimeSpan heartbeat, bool everyStep = false)
        {
            Progress = new StderrProgress(new LogProgressView(Writer, () => Now, heartbeat, everyStep), () => Now) { Subject = "tiny" };
        }

        public void At(double seconds, Action<StderrProgress> act)
        {
            Now = TimeSpan.FromSeconds(seconds);
            act(Progress);
        }

        public string[] Lines => Writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    /// <summary>Four layers announced at 0 s; the first done at 2 s, the second at 5 s.</summary>
    private static Log TwoOfFourLayers()
    {
        var log = new Log(TimeSpan.FromSeconds(30));
        log.At(0, p => p.Report("pruning layers", 0, 4));
        log.At(2, p => p.Report("pruning layers", 1, 4));
        log.At(5, p => p.Report("pruning layers", 2, 4));
        return log;
    }

    [Fact]
    public void Each_layer_gets_a_line_with_its_time_and_an_estimate_from_all_the_work_done()
    {
        var log = TwoOfFourLayers();
        log.At(6, p => p.Info("a message between layers"));
        log.At(11, p => p.Report("pruning layers", 3, 4));
        log.At(14.25, p => p.Report("pruning layers", 4, 4));

        Assert.Equal([
            "tiny: pruning layers: started (4 steps)",
            "tiny: pruning layers: 1/4 in 2.0 s (elapsed 00:02, 2.0 s/step, ETA 00:06)",
            "tiny: pruning layers: 2/4 in 3.0 s (elapsed 00:05, 2.5 s/step, ETA 00:05)",
            "a message between layers",
            "tiny: pruning layers: 3/4 in 6.0 s (elapsed 00:11, 3.7 s/step, ETA 00:03)",
            "tiny: pruning layers: done 4/4 in 14.2 s",
        ], log.Lines);
    }

    [Fact]
    public void A_long_step_writes_a_heartbeat_at_most_every_interval()
    {
        var log = TwoOfFourLayers();
        // Layer 3 takes 90 s; the timer ticks every second: beats 30 and 60 s into it (at 90 s the layer's own line comes).
        for (int s = 6; s < 95; s++) log.At(s, p => p.Tick());
        log.At(95, p => p.Report("pruning layers", 3, 4));
        for (int s = 96; s < 100; s++) log.At(s, p => p.Tick());

        var beats = log.Lines.Where(l => l.Contains("still working")).ToArray();
        Assert.Equal([
            "tiny: pruning layers: still working, step 3/4 running for 30 s (elapsed 00:35, 2.5 s/step, ETA 00:11)",
            "tiny: pruning layers: still working, step 3/4 running for 60 s (elapsed 01:05, 2.5 s/step, ETA 00:21)",
        ], beats);
        Assert.Equal("tiny: pruning layers: 3/4 in 90.0 s (elapsed 01:35, 31.7 s/step, ETA 00:31)", log.Lines[^1]);
    }

    [Fact]
    public void A_finished_phase_gets_no_heartbeat_and_a_phase_of_many_steps_gets_a_line_per_tenth()
    {
        var log = new Log(TimeSpan.FromSeconds(30));
        log.At(0, p => p.Report("perplexity (dense)", 0, 1000));
        for (int i = 1; i <= 1000; i++) log.At(i * 0.01, p => p.Report("perplexity (dense)", i, 1000));
        for (int s = 11; s < 100; s++) log.At(s, p => p.Tick());

        var lines = log.Lines;
        Assert.Equal("tiny: perplexity (dense): started (1000 steps)", lines[0]);
        for (int t = 1; t <= 9; t++) Assert.StartsWith($"tiny: perplexity (dense): {t * 100}/1000 (elapsed ", lines[t]);
        Assert.Equal("tiny: perplexity (dense): done 1000/1000 in 10.0 s", lines[10]);
        Assert.Equal(11, lines.Length);
    }

    [Fact]
    public void Training_steps_get_a_line_per_tenth_even_when_few()
    {
        // 40 steps would get 40 lines as layers do; the trainer logs its loss every tenth itself.
        var log = new Log(TimeSpan.FromSeconds(30));
        log.At(0, p => p.Report("tuning", 0, 40));
        for (int i = 1; i <= 40; i++) log.At(i * 0.5, p => p.Report("tuning", i, 40));

        var lines = log.Lines;
        Assert.Equal("tiny: tuning: started (40 steps)", lines[0]);
        for (int t = 1; t <= 9; t++) Assert.StartsWith($"tiny: tuning: {t * 4}/40 (elapsed ", lines[t]);
        Assert.Equal("tiny: tuning: done 40/40 in 20.0 s", lines[10]);
        Assert.Equal(11, lines.Length);
    }

    [Fact]
    public void The_estimate_counts_down_during_a_step_and_grows_when_the_step_runs_longer_than_the_average()
    {
        var clock = new PhaseClock("pruning layers", 4, TimeSpan.Zero);
        Assert.Null(clock.Remaining(TimeSpan.FromSeconds(1)));
        clock.Step(1, 4, TimeSpan.FromSeconds(2));
        clock.Step(2, 4, TimeSpan.FromSeconds(5));
        // 2.5 s a layer so far: 5 s for the two left, less what the third has run.
        Assert.Equal(5.0, clock.Remaining(TimeSpan.FromSeconds(5))!.Value.TotalSeconds, 6);
        Assert.Equal(4.0, clock.Remaining(TimeSpan.FromSeconds(6))!.Value.TotalSeconds, 6);
        Assert.Equal(3.0, clock.Remaining(TimeSpan.FromSeconds(7))!.Value.TotalSeconds, 6);
        // A third layer that runs long is work done too: 60 s for three layers so far leaves 20 s for the fourth.
        Assert.Equal(20.0, clock.Remaining(TimeSpan.FromSeconds(60))!.Value.TotalSeconds, 6);
        Assert.Equal("2.5 s/step", clock.Rate());
        Assert.Equal(TimeSpan.FromSeconds(55), clock.Elapsed(TimeSpan.FromSeconds(55)));
    }

    [Fact]
    public void Quiet_progress_writes_only_warnings()
    {
        var quiet = new StderrProgress(null, () => TimeSpan.Zero);
        var stderr = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            quiet.Report("pruning layers", 0, 4);
            quiet.Report("pruning layers", 4, 4);
            quiet.Info("tiny: chosen ratios");
            quiet.Warn("the calibration text is short");
        }
        finally { Console.SetError(stderr); }
        Assert.Equal("warning: the calibration text is short" + Environment.NewLine, captured.ToString());
        Assert.Equal(["the calibration text is short"], quiet.Warnings);
    }

    [Fact]
    public void A_redirected_prune_logs_every_layer_with_its_time_and_quiet_logs_nothing()
    {
        using var dir = TestData.NewTempDir();
        string[] args = ["prune", "--model", TestData.Stories260KGguf, "--calibration", TestData.TinyStoriesValid, "--samples", "4", "--seq-len", "32",
                         "--target", "0.2", "--out", dir.File("out")];
        var r = ToolRunner.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // stories260K has 5 layers: a line for each, in order, with its time.
        var layers = r.Stderr.Split('\n').Where(l => l.Contains("pruning layers: ") && l.Contains(" in ") && !l.Contains("done")).ToArray();
        Assert.Equal(4, layers.Length); // layers 1-4; the fifth is the "done" line
        for (int i = 0; i < 4; i++) Assert.Matches($@"pruning layers: {i + 1}/5 in \d+\.\d s \(elapsed \d\d:\d\d, [\d.]+ (s/step|steps/s), ETA \d\d:\d\d\)", layers[i]);
        Assert.Matches(@"pruning layers: done 5/5 in \d+\.\d s", r.Stderr);

        var quiet = ToolRunner.Run([.. args, "--quiet"]);
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.Equal("", quiet.Stderr);
        Assert.Equal(r.Stdout.Split('\n')[0], quiet.Stdout.Split('\n')[0]); // the result is still printed
    }
}
