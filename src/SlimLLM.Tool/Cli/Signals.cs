using System.Runtime.InteropServices;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (a CI runner or `dotnet build` stopping) ask the run to stop at its next safe point: the
/// token is cancelled, the work in progress unwinds through its usual clean-up (temporary files removed, complete cache
/// entries kept), and the tool exits 130 or 143. A second signal ends the process at once; the next run removes what it left.
/// </summary>
public static class Signals
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];

    public static CancellationToken Token => Source.Token;
    /// <summary>The signal that cancelled the run, if any.</summary>
    public static PosixSignal? Received { get; private set; }

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    private static void OnSignal(PosixSignalContext context)
    {
        if (Received is not null) return; // the second signal: default handling ends the process
        Received = context.Signal;
        context.Cancel = true;
        Console.Error.WriteLine($"{(context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM")}: stopping at the next safe point (send it again to stop at once)");
        Source.Cancel();
    }

    /// <summary>128 + the signal number, as shells report a process ended by that signal.</summary>
    public static int ExitCode => Received == PosixSignal.SIGTERM ? 143 : 130;
}
