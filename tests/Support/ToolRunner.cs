using System.Diagnostics;

namespace SlimLLM.Tests.Support;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>How a bounded run ended: its result, or why it was killed (null when it was not), and its peak resident memory.</summary>
public sealed record BoundedToolResult(ToolResult Result, string? Killed, long PeakRssBytes, TimeSpan Elapsed);

/// <summary>
/// Runs the real `slimllm` tool (slimllm.dll from the test output folder) as a separate process; <see cref="RunDev"/> runs the
/// developers' `slimllm-dev` (bench, synth, compare) the same way.
/// </summary>
public static class ToolRunner
{
    public static string ToolDll => Path.Combine(AppContext.BaseDirectory, "slimllm.dll");
    public static string DevToolDll => Path.Combine(AppContext.BaseDirectory, "slimllm-dev.dll");

    public static ToolResult Run(params string[] args) => RunIn(null, null, args);

    public static ToolResult RunDev(params string[] args) => RunDll(DevToolDll, null, null, args);

    public static ToolResult RunIn(string? workingDirectory, IDictionary<string, string>? env, params string[] args) =>
        RunDll(ToolDll, workingDirectory, env, args);

    private static ToolResult RunDll(string dll, string? workingDirectory, IDictionary<string, string>? env, string[] args)
    {
        using var p = Start(dll, workingDirectory, env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException(Path.GetFileNameWithoutExtension(dll) + " " + string.Join(' ', args) + " did not finish in 10 minutes");
        }
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Runs the tool, killing it (and reporting why) once it runs longer than <paramref name="timeout"/> or its resident
    /// memory exceeds <paramref name="maxRssBytes"/> (sampled every 50 ms).
    /// </summary>
    public static BoundedToolResult RunBounded(string? workingDirectory, IDictionary<string, string>? env, TimeSpan timeout, long maxRssBytes,
        params string[] args)
    {
        var clock = Stopwatch.StartNew();
        using var p = Start(ToolDll, workingDirectory, env, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        string? killed = null;
        long peak = 0;
        while (!p.WaitForExit(50))
        {
            try
            {
                p.Refresh();
                peak = Math.Max(peak, p.WorkingSet64);
            }
            catch (InvalidOperationException) { break; } // exited between the two calls
            killed = clock.Elapsed > timeout ? $"still running after {timeout.TotalSeconds:F0} s"
                : peak > maxRssBytes ? $"resident memory {peak >> 20} MB above the bound of {maxRssBytes >> 20} MB"
                : null;
            if (killed is null) continue;
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            break;
        }
        p.WaitForExit();
        return new BoundedToolResult(new ToolResult(p.ExitCode, stdout.Result, stderr.Result), killed, peak, clock.Elapsed);
    }

    private static Process Start(string dll, string? workingDirectory, IDictionary<string, string>? env, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }
}
