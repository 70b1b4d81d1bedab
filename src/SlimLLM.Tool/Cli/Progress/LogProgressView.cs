namespace SlimLLM.Tool.Cli.Progress;

/// <summary>
/// Progress as lines, for a stderr that is not a terminal (CI, MSBuild): a line when a phase starts, one per step with its
/// time (for phases of many steps, such as perplexity windows, download bytes or training steps, one per tenth), one when it ends, and a
/// heartbeat when nothing was written for <c>heartbeat</c> during a long step, so a log shows the run is alive.
/// </summary>
public sealed class LogProgressView(TextWriter writer, Func<TimeSpan> now, TimeSpan heartbeat, bool everyStep) : IProgressView
{
    /// <summary>Phases with at most this many steps get a line per step (a LLaMA has at most 126 layers).</summary>
    public const int StepLinesUpTo = 200;

    private PhaseClock? _active;
    private long _lastPrintedDone;
    private TimeSpan _lastLineAt = now();

    public void Progress(PhaseClock clock, bool moved)
    {
        var t = now();
        if (!ReferenceEquals(clock, _active))
        {
            _active = clock;
            _lastPrintedDone = 0;
            Write(clock.Total > 0 ? $"{clock.Name}: started ({clock.Total} {(clock.CountsBytes ? "bytes" : "steps")})" : $"{clock.Name}: started", t);
        }
        if (!moved) return;
        if (clock.Finished)
        {
            Write(Units.Invariant($"{clock.Name}: done {clock.Count()} in {clock.Elapsed(t).TotalSeconds:F1} s"), t);
            _active = null;
            return;
        }
        bool tenth = clock.Total > 0 && clock.Done * 10 / clock.Total > _lastPrintedDone * 10 / clock.Total;
        bool perStep = everyStep || (clock.Total is > 0 and <= StepLinesUpTo && !clock.CountsBytes && !clock.CountsTrainingSteps);
        if (!perStep && !tenth) return;
        _lastPrintedDone = clock.Done;
        string took = perStep && !clock.CountsBytes ? Units.Invariant($" in {clock.LastStep.TotalSeconds:F1} s") : "";
        Write($"{clock.Name}: {clock.Count()}{took} ({Timing(clock, t)})", t);
    }

    public void Line(string text) => Write(text, now());

    public void Tick()
    {
        var t = now();
        if (_active is not { } clock || t - _lastLineAt < heartbeat) return;
        string step = clock.CountsBytes ? clock.Count() : clock.Total > 0 ? $"step {clock.Done + 1}/{clock.Total}" : $"step {clock.Done + 1}";
        Write(Units.Invariant($"{clock.Name}: still working, {step} running for {(t - clock.LastStepAt).TotalSeconds:F0} s ({Timing(clock, t)})"), t);
    }

    public void Finish() => _active = null;

    private static string Timing(PhaseClock clock, TimeSpan t)
    {
        string rate = clock.Rate();
        string eta = clock.Remaining(t) is { } r ? $", ETA {Units.Clock(r)}" : "";
        return $"elapsed {Units.Clock(clock.Elapsed(t))}{(rate.Length > 0 ? ", " + rate : "")}{eta}";
    }

    private void Write(string line, TimeSpan t)
    {
        writer.WriteLine(line);
        writer.Flush();
        _lastLineAt = t;
    }
}
