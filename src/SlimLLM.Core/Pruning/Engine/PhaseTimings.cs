namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Wall-clock seconds per phase of a pruning run. Phases are exclusive: while a phase timed inside another runs (the hidden
/// states brought forward inside a statistics pass, a load inside a write), the outer one's clock stands still, so the phases
/// add up to the run's time and none is counted twice.
/// </summary>
public sealed class PhaseTimings
{
    private readonly Dictionary<string, double> _seconds = new();
    private readonly Stack<(string Phase, System.Diagnostics.Stopwatch Clock)> _open = new();
    public IReadOnlyDictionary<string, double> Seconds => _seconds;
    /// <summary>Called at every phase's start and end (the engine samples the GPU's memory there).</summary>
    public Action? OnBoundary { get; set; }
    public void Add(string phase, double seconds) => _seconds[phase] = _seconds.GetValueOrDefault(phase) + seconds;

    public T Time<T>(string phase, Func<T> work)
    {
        if (_open.TryPeek(out var outer)) outer.Clock.Stop();
        Trace("begin", phase);
        OnBoundary?.Invoke();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _open.Push((phase, clock));
        try { return work(); }
        finally
        {
            _open.Pop();
            Add(phase, clock.Elapsed.TotalSeconds);
            Trace("end", phase);
            OnBoundary?.Invoke();
            if (_open.TryPeek(out var resumed)) resumed.Clock.Start();
        }
    }

    public void Time(string phase, Action work) => Time(phase, () => { work(); return 0; });

    private static readonly bool Tracing = Environment.GetEnvironmentVariable("SLIMLLM_TRACE") == "1";
    private static readonly System.Diagnostics.Stopwatch TraceClock = System.Diagnostics.Stopwatch.StartNew();

    /// <summary>
    /// SLIMLLM_TRACE=1: one stderr line per phase boundary with the seconds since the first timed phase and the resident and
    /// peak memory, to find where time and memory go inside a layer.
    /// </summary>
    private static void Trace(string edge, string phase)
    {
        if (Tracing)
            Console.Error.WriteLine($"[trace] {TraceClock.Elapsed.TotalSeconds,9:F3} s {edge} {phase}: rss {Diagnostics.ProcessMemory.ResidentBytes() / 1e6:F0} MB, peak {Diagnostics.ProcessMemory.PeakResidentBytes() / 1e6:F0} MB");
    }

    public IReadOnlyDictionary<string, double> Snapshot() => new Dictionary<string, double>(_seconds);
}
