namespace SlimLLM.Tool.Cli.Progress;

/// <summary>How <see cref="StderrProgress"/> shows progress: live bars on a terminal, lines in a log.</summary>
public interface IProgressView
{
    /// <summary>A phase moved (or started, at done 0): <paramref name="clock"/> already holds the step.</summary>
    void Progress(PhaseClock clock, bool moved);
    /// <summary>A line for a person (an info or warning message).</summary>
    void Line(string text);
    /// <summary>Called about once a second: a log writes its heartbeat.</summary>
    void Tick();
    /// <summary>Ends any live display, leaving the screen as a log of what was done.</summary>
    void Finish();
}
