using System.Runtime.InteropServices;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (a CI runner or `dotnet build` stopping) ask the run to stop at its next safe point: the
/// token is cancelled, the work in progress unwinds through its usual clean-up (temporary files removed, complete cache
/// entries kept), and the tool exits 130 or 143. A second signal ends the process at once; the next run removes what it left.
/// <para>
/// SlimLLM.Build cannot send a signal everywhere MSBuild runs (no SIGINT on Windows, no process handle in a ToolTask): it
/// names a file in <c>SLIMLLM_CANCEL_FILE</c> and creates it when the build is cancelled, which counts as a first SIGINT.
/// </para>
/// </summary>
public static class Signals
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static readonly object Gate = new();
    private static Timer? _cancelFileWatch;

    /// <summary>The environment variable that names the cancel file (see the class remarks).</summary>
    public const string CancelFileVariable = "SLIMLLM_CANCEL_FILE";
    private static readonly TimeSpan CancelFilePoll = TimeSpan.FromMilliseconds(200);

    public static CancellationToken Token => Source.Token;
    /// <summary>The signal that cancelled the run, if any.</summary>
    public static PosixSignal? Received { get; private set; }

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        if (Environment.GetEnvironmentVariable(CancelFileVariable) is { Length: > 0 } file)
            _cancelFileWatch = new Timer(_ => { if (File.Exists(file)) Stop(PosixSignal.SIGINT, "the build was cancelled"); }, null, TimeSpan.Zero, CancelFilePoll);
    }

    private static void OnSignal(PosixSignalContext context)
    {
        // The second signal: default handling ends the process.
        if (Stop(context.Signal, context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM")) context.Cancel = true;
    }

    /// <summary>The first stop request cancels the token and returns true; later ones return false.</summary>
    private static bool Stop(PosixSignal signal, string why)
    {
        lock (Gate)
        {
            if (Received is not null) return false;
            Received = signal;
        }
        _cancelFileWatch?.Change(Timeout.Infinite, Timeout.Infinite);
        Console.Error.WriteLine($"{why}: stopping at the next safe point (send SIGINT again to stop at once)");
        Source.Cancel();
        return true;
    }

    /// <summary>128 + the signal number, as shells report a process ended by that signal.</summary>
    public static int ExitCode => Received == PosixSignal.SIGTERM ? 143 : 130;
}
