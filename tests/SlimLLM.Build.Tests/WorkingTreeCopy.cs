using System.Diagnostics;

namespace SlimLLM.Build.Tests;

/// <summary>What a fresh clone of the working tree holds: the files git tracks or would track (no bin/, obj/, artifacts/).</summary>
public static class WorkingTreeCopy
{
    public static void CopyTo(string source, string target)
    {
        var psi = new ProcessStartInfo("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        {
            WorkingDirectory = source, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var git = Process.Start(psi)!;
        var listing = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode != 0) throw new InvalidOperationException($"git ls-files in {source} failed: {error}");
        foreach (var file in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var from = Path.Combine(source, file);
            if (!File.Exists(from)) continue; // deleted in the working tree, not yet committed
            var to = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, File.GetUnixFileMode(from)); // build/*.sh stay executable
        }
    }
}
