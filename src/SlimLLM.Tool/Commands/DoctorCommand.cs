using System.CommandLine;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class DoctorCommand
{
    public static Command Create()
    {
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache folder (default: SLIMLLM_CACHE, else the user cache folder)." };
        var strict = new Option<bool>("--strict") { Description = "Exit with 2 when any check is MISSING." };
        var json = CommonOptions.Json();
        var command = new Command("doctor", "Check this machine: OS, .NET, TorchSharp, libstdc++, libtorch backend (cpu/cuda), GPUs, caches; prints the fix for whatever is missing.")
            { cacheDir, strict, json };
        command.SetAction(r =>
        {
            var checks = DoctorChecks.Run(r.GetValue(BackendStartup.LibTorchOption), r.GetValue(cacheDir));
            Print(checks, r.GetValue(json));
            return r.GetValue(strict) && checks.Any(c => !c.Ok) ? ExitCodes.UserError : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line per check (OK or MISSING, name, detail, and the fix under a MISSING line), or one JSON object.</summary>
    public static void Print(IReadOnlyList<DoctorCheck> checks, bool json)
    {
        if (json)
            Json.Print(new { ok = checks.All(c => c.Ok), checks = checks.Select(c => new { name = c.Name, status = c.Ok ? "OK" : "MISSING", detail = c.Detail, fix = c.Fix }) });
        else
            foreach (var c in checks)
                Console.Out.WriteLine($"{(c.Ok ? "OK     " : "MISSING")} {c.Name,-18} {c.Detail}{(c.Fix is null ? "" : "\n        fix: " + c.Fix.Replace("\n", "\n          "))}");
    }
}
