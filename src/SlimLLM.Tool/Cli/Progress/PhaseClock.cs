namespace SlimLLM.Tool.Cli.Progress;

/// <summary>
/// The timing of one phase (a model's dense pass, its pruned layers, a perplexity run, a download): elapsed time, rate and
/// remaining time estimated from all the work done so far, not from the last step alone (layers differ in cost: a layer
/// that is not pruned costs a fraction of one that is). The estimate counts down while a step runs; a step that runs
/// longer than the average raises it.
/// </summary>
public sealed class PhaseClock(string name, long total, TimeSpan start)
{
    public string Name { get; } = name;
    public long Total { get; private set; } = total;
    public long Done { get; private set; }
    public TimeSpan Start { get; } = start;
    /// <summary>When the last step ended (the start until one has).</summary>
    public TimeSpan LastStepAt { get; private set; } = start;
    /// <summary>How long the last step took.</summary>
    public TimeSpan LastStep { get; private set; }
    /// <summary>Downloads count bytes; the other phases count steps (layers, windows).</summary>
    public bool CountsBytes { get; } = name.Contains("download", StringComparison.OrdinalIgnoreCase);
    /// <summary>Training steps (the tuning phase): many quick steps, whose loss the trainer logs itself every tenth.</summary>
    public bool CountsTrainingSteps { get; } = name.EndsWith("tuning", StringComparison.OrdinalIgnoreCase);
    public bool Finished => Total > 0 && Done >= Total;

    /// <summary>Records progress; returns whether it moved.</summary>
    public bool Step(long done, long total, TimeSpan now)
    {
        Total = total;
        if (done <= Done) return false;
        LastStep = now - LastStepAt;
        LastStepAt = now;
        Done = done;
        return true;
    }

    public TimeSpan Elapsed(TimeSpan now) => now - Start;

    /// <summary>Seconds per unit over the work done so far; null before the first unit.</summary>
    public double? SecondsPerUnit => Done > 0 ? (LastStepAt - Start).TotalSeconds / Done : null;

    /// <summary>The time left; null while nothing is known (no step done, or no total).</summary>
    public TimeSpan? Remaining(TimeSpan now)
    {
        if (SecondsPerUnit is not double per || Total <= 0) return null;
        if (Done >= Total) return TimeSpan.Zero;
        long left = Total - Done;
        // The running step is expected to take the average: the estimate counts down while it runs...
        double countingDown = per * left - (now - LastStepAt).TotalSeconds;
        // ...and once it runs longer, it is work done too: the steps not started get the average as if it ended now.
        double perIfEndedNow = (now - Start).TotalSeconds / (Done + 1);
        return TimeSpan.FromSeconds(Math.Max(countingDown, perIfEndedNow * (left - 1)));
    }

    /// <summary>"4.1 s/step", "12.5 steps/s" or "3.2 MB/s"; "" before the first step.</summary>
    public string Rate()
    {
        if (SecondsPerUnit is not double per || per <= 0) return "";
        if (CountsBytes) return $"{Units.Bytes((long)(1 / per))}/s";
        return per >= 1 ? Units.Invariant($"{per:F1} s/step") : Units.Invariant($"{1 / per:F1} steps/s");
    }

    /// <summary>"3/8" (or bytes for a download); the done count alone when the total is not known.</summary>
    public string Count() => CountsBytes
        ? Total > 0 ? $"{Units.Bytes(Done)}/{Units.Bytes(Total)}" : Units.Bytes(Done)
        : Total > 0 ? $"{Done}/{Total}" : $"{Done}";
}
