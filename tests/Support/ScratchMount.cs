using System.Diagnostics;
using Xunit;

namespace SlimLLM.Tests.Support;

/// <summary>
/// A small tmpfs of its own, to meet a full or a read-only disk for real. Mounting needs root (CI and this project's machines
/// run as root); elsewhere the tests that use it are skipped, and say so.
/// </summary>
public sealed class ScratchMount : IDisposable
{
    public ScratchMount(string size, bool readOnly = false)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"slimllm-mount-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        Run("mount", "-t", "tmpfs", "-o", $"size={size}{(readOnly ? ",ro" : "")}", "tmpfs", Path);
    }

    public string Path { get; }

    public static bool Available { get; } = OperatingSystem.IsLinux() && Environment.UserName == "root" && CanMount();

    public void Dispose()
    {
        Run("umount", Path);
        Directory.Delete(Path);
    }

    private static bool CanMount()
    {
        try { using var m = new ScratchMount("64k"); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err}");
    }
}

/// <summary>A fact that needs <see cref="ScratchMount"/>: skipped, with the reason, where mounting is not possible.</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (!ScratchMount.Available) Skip = "needs root and mount(8) to make a small tmpfs";
    }
}
