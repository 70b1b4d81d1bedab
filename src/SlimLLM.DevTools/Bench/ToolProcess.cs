using System.Diagnostics;
using SlimLLM.Errors;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// Runs a tool as a child process (so each benchmark case has its own process and its own peak memory): <c>slimllm</c> for
/// the prunes (its slimllm.dll lies beside this tool: SlimLLM.DevTools references SlimLLM.Tool) and this very tool for
/// <c>synth</c>; the apphost when this tool was started through one and the other's lies beside it, else <c>dotnet NAME.dll</c>.
/// </summary>
public sealed class ToolProcess(string fileName, IReadOnlyList<string> prefix, IReadOnlyList<string> suffix)
{
    public string FileName { get; } = fileName;
    /// <summary>Arguments before the command's own (the tool's dll when run through dotnet).</summary>
    public IReadOnlyList<string> Prefix { get; } = prefix;
    /// <summary>Arguments after the command's own (global options such as --libtorch).</summary>
    public IReadOnlyList<string> Suffix { get; } = suffix;

    /// <summary>This tool (slimllm-dev).</summary>
    public static ToolProcess Self(string? libtorch = null) => For(typeof(ToolProcess).Assembly.Location, libtorch);

    /// <summary>The user tool, slimllm, whose assembly is copied beside this one.</summary>
    public static ToolProcess Slimllm(string? libtorch = null) => For(typeof(SlimLLM.Tool.Cli.ExitCodes).Assembly.Location, libtorch);

    private static ToolProcess For(string dll, string? libtorch)
    {
        var suffix = libtorch is null ? Array.Empty<string>() : ["--libtorch", libtorch];
        var host = Environment.ProcessPath;
        var hostName = host is null ? "" : Path.GetFileNameWithoutExtension(host);
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (hostName != "dotnet" && File.Exists(apphost)) return new ToolProcess(apphost, [], suffix);
        return new ToolProcess(hostName == "dotnet" ? host! : "dotnet", [dll], suffix);
    }

    public string CommandLine(IEnumerable<string> args) =>
        string.Join(' ', new[] { FileName }.Concat(Prefix).Concat(args).Concat(Suffix).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));

    /// <summary>Runs the tool and returns its stdout; each stderr line goes to <paramref name="stderrLine"/> as it comes.</summary>
    public string Run(IReadOnlyList<string> args, Action<string> stderrLine)
    {
        var psi = new ProcessStartInfo(FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in Prefix.Concat(args).Concat(Suffix)) psi.ArgumentList.Add(a);
        var tail = new Queue<string>();
        using var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (tail)
            {
                tail.Enqueue(e.Data);
                if (tail.Count > 5) tail.Dequeue();
            }
            stderrLine(e.Data);
        };
        p.Start();
        p.BeginErrorReadLine();
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        var output = stdout.Result;
        if (p.ExitCode != 0)
        {
            string last;
            lock (tail) last = string.Join(" | ", tail);
            throw new SlimLLMException(null, $"`{CommandLine(args)}` exited with code {p.ExitCode}: {last}",
                "Run that command by itself to see the whole error.", exitCode: p.ExitCode == 2 ? 2 : 1);
        }
        return output;
    }
}
