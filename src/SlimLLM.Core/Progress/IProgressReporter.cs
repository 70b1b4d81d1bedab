namespace SlimLLM.Progress;

/// <summary>How long-running work in Core tells its caller what it is doing. Core never writes to the console.</summary>
public interface IProgressReporter
{
    /// <summary>Progress inside a phase: <paramref name="done"/> of <paramref name="total"/> units (total 0: not known yet, as for a download of unannounced size).</summary>
    void Report(string phase, long done, long total);
    /// <summary>A one-line message worth showing a person (what was chosen, and why).</summary>
    void Info(string message);
    void Warn(string message);
}

public sealed class NullProgress : IProgressReporter
{
    public static readonly NullProgress Instance = new();
    public void Report(string phase, long done, long total) { }
    public void Info(string message) { }
    public void Warn(string message) { }
}
