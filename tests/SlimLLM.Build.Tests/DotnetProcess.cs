using System.Diagnostics;

namespace SlimLLM.Build.Tests;

public sealed record DotnetResult(int ExitCode, string Output, TimeSpan Elapsed);

/// <summary>Runs `dotnet ...` (or a bash script) as a separate process with a clean MSBuild environment and the test's own NuGet folder.</summary>
public static class DotnetProcess
{
    public static DotnetResult Run(string workingDirectory, IDictionary<string, string> env, params string[] args) =>
        Run(workingDirectory, env, onLine: null, args);

    /// <summary>As <see cref="Run(string, IDictionary{string, string}, string[])"/>, calling <paramref name="onLine"/> with the process and each line as it comes.</summary>
    /// <remarks>
    /// With <paramref name="onLine"/> (a test that signals the build), dotnet starts through `env --default-signal=INT`:
    /// a process started in the background by a non-interactive shell ignores SIGINT, and its children inherit that.
    /// </remarks>
    public static DotnetResult Run(string workingDirectory, IDictionary<string, string> env, Action<Process, string>? onLine, params string[] args) =>
        onLine is null ? RunProgram("dotnet", workingDirectory, env, null, args)
            : RunProgram("env", workingDirectory, env, onLine, ["--default-signal=INT", "dotnet", .. args]);

    /// <summary>A bash script, stopping at the first failing line and echoing each line it runs.</summary>
    public static DotnetResult Bash(string workingDirectory, IDictionary<string, string> env, string script) =>
        RunProgram("bash", workingDirectory, env, null, "-euxo", "pipefail", "-c", script);

    private static DotnetResult RunProgram(string program, string workingDirectory, IDictionary<string, string> env, Action<Process, string>? onLine, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host runs under `dotnet test`, whose MSBuild variables would leak into the child builds.
        foreach (var key in psi.Environment.Keys.ToList())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
                psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (k, v) in env) psi.Environment[k] = v;

        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        var gate = new object();
        void Line(string? line)
        {
            if (line is null) return;
            lock (gate) output.AppendLine(line);
            onLine?.Invoke(p, line);
        }
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran over 10 minutes in {workingDirectory}:\n{output}");
        }
        p.WaitForExit();
        clock.Stop();
        lock (gate) return new DotnetResult(p.ExitCode, output.ToString(), clock.Elapsed);
    }
}
