using System.Diagnostics;
using SlimLLM.Progress;
using SlimLLM.Tool.Cli.Progress;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Progress on stderr: live bars on a terminal (<see cref="TerminalProgressView"/>), lines with per-step times and a
/// heartbeat every 30 s when stderr is redirected (<see cref="LogProgressView"/>: CI, MSBuild), nothing but warnings with
/// --quiet. Every call is also a cancellation point for SIGINT/SIGTERM (<see cref="Signals"/>), so every command that
/// shows progress (downloads included) stops at its next step.
/// </summary>
public sealed class StderrProgress : IProgressReporter
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);
    private static readonly List<StderrProgress> Instances = [];

    private readonly object _gate = new();
    private readonly IProgressView? _view;
    private readonly Func<TimeSpan> _now;
    private readonly Dictionary<string, PhaseClock> _phases = [];
    private readonly List<string> _warnings = [];
    private readonly Timer? _ticker;

    /// <summary>Progress as the command line asked (--quiet, --verbose) for this stderr.</summary>
    public StderrProgress() : this(OutputLevel.Quiet ? null : DefaultView(Clock), Clock)
    {
        if (_view is LogProgressView) _ticker = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Progress into <paramref name="view"/> (null: quiet) on <paramref name="now"/>'s clock; <see cref="Tick"/> is the caller's.</summary>
    public StderrProgress(IProgressView? view, Func<TimeSpan> now)
    {
        _view = view;
        _now = now;
        lock (Instances) Instances.Add(this);
    }

    private static readonly Stopwatch Watch = Stopwatch.StartNew();
    private static TimeSpan Clock() => Watch.Elapsed;

    private static IProgressView DefaultView(Func<TimeSpan> now) =>
        Console.IsErrorRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb"
            ? new LogProgressView(Console.Error, now, Heartbeat, OutputLevel.Verbose)
            : new TerminalProgressView(now, OutputLevel.Verbose);

    /// <summary>What the phases are about (a model's name); their names are prefixed with it.</summary>
    public string? Subject { get; set; }

    public void Report(string phase, long done, long total)
    {
        Signals.Token.ThrowIfCancellationRequested();
        if (_view is null) return;
        lock (_gate)
        {
            string name = Subject is null ? phase : $"{Subject}: {phase}";
            var now = _now();
            // The same phase again (a second evaluation text), or one that went back: a new clock.
            if (!_phases.TryGetValue(name, out var clock) || clock.Finished || done < clock.Done)
                _phases[name] = clock = new PhaseClock(name, total, now);
            bool moved = clock.Step(done, total, now);
            _view.Progress(clock, moved);
        }
    }

    public void Info(string message)
    {
        Signals.Token.ThrowIfCancellationRequested();
        if (_view is null) return;
        lock (_gate) _view.Line(message);
    }

    public void Warn(string message)
    {
        lock (_gate)
        {
            _warnings.Add(message);
            if (_view is null) Console.Error.WriteLine($"warning: {message}");
            else _view.Line($"warning: {message}");
        }
    }

    /// <summary>Writes a heartbeat when one is due (a timer calls it every second).</summary>
    public void Tick()
    {
        if (_view is null) return;
        lock (_gate) _view.Tick();
    }

    /// <summary>Every warning shown so far, for a JSON report (`prune --json`).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Ends the live display, if any, before an error or the result is written.</summary>
    public void Finish()
    {
        _ticker?.Dispose();
        lock (_gate) _view?.Finish();
    }

    /// <summary>Finishes every progress of the process (the command is over, or failed).</summary>
    public static void FinishAll()
    {
        List<StderrProgress> all;
        lock (Instances) all = [.. Instances];
        foreach (var p in all) p.Finish();
    }
}
