using System.Diagnostics;

namespace SlimLLM.Tests.Support;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real `slimllm` tool (slimllm.dll from the test output folder) as a separate process.</summary>
public static class ToolRunner
{
    public static string ToolDll => Path.Combine(AppContext.BaseDirectory, "slimllm.dll");

    public static ToolResult Run(params string[] args) => RunIn(null, null, args);

    public static ToolResult RunIn(string? workingDirectory, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        psi.ArgumentList.Add(ToolDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("slimllm " + string.Join(' ', args) + " did not finish in 10 minutes");
        }
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
