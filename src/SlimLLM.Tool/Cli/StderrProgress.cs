using SlimLLM.Progress;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Progress on stderr: an updating line with percentage and ETA on a terminal, and one line per phase (plus a line at the end)
/// when stderr is redirected (CI, MSBuild). Every call is also a cancellation point for SIGINT/SIGTERM (<see cref="Signals"/>), so
/// every command that shows progress (downloads included) stops at its next step.
/// </summary>
public sealed class StderrProgress : IProgressReporter
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _phaseClock = new();
    private string? _phase;
    private DateTime _lastDraw;
    private readonly List<string> _warnings = [];

    public void Report(string phase, long done, long total)
    {
        Signals.Token.ThrowIfCancellationRequested();
        if (phase != _phase)
        {
            EndLine();
            _phase = phase;
            _phaseClock.Restart();
            if (!_interactive) Console.Error.WriteLine(total > 0 ? $"{phase}: started ({total} steps)" : $"{phase}: started");
        }
        if (_interactive && (DateTime.UtcNow - _lastDraw).TotalMilliseconds > 100 || done == total)
        {
            _lastDraw = DateTime.UtcNow;
            double frac = total == 0 ? 1 : (double)done / total;
            double elapsed = _phaseClock.Elapsed.TotalSeconds;
            string eta = frac > 0 && done < total ? $" ETA {TimeSpan.FromSeconds(elapsed / frac - elapsed):mm\\:ss}" : "";
            if (_interactive && total <= 0)
                Console.Error.Write($"\r{phase}: {done}   "); // size not known beforehand (a download)
            else if (_interactive)
                Console.Error.Write($"\r{phase}: {done}/{total} ({frac:P0}){eta}   ");
            else if (done == total)
                Console.Error.WriteLine($"{phase}: done {done}/{total} in {elapsed:F1} s");
        }
    }

    public void Info(string message)
    {
        Signals.Token.ThrowIfCancellationRequested();
        EndLine();
        Console.Error.WriteLine(message);
    }
    public void Warn(string message)
    {
        EndLine();
        Console.Error.WriteLine($"warning: {message}");
        _warnings.Add(message);
    }

    /// <summary>Every warning shown so far, for a JSON report (`prune --json`).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private void EndLine()
    {
        if (_interactive && _phase is not null) Console.Error.WriteLine();
        _phase = null;
    }
}
