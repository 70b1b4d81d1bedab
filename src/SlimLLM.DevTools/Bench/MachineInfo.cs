using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace SlimLLM.DevTools.Bench;

/// <summary>The one-line description of the machine a benchmark ran on: CPU, cores, memory, OS, .NET and device.</summary>
public static partial class MachineInfo
{
    public static string Describe(string device)
    {
        var cpu = FirstMatch("/proc/cpuinfo", CpuModel()) ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = FirstMatch("/proc/meminfo", MemTotal());
        var ram = memKb is null ? "RAM unknown" : $"{long.Parse(memKb, CultureInfo.InvariantCulture) * 1024 / 1e9:F1} GB RAM";
        var os = FirstMatch("/etc/os-release", PrettyName()) ?? RuntimeInformation.OSDescription;
        var gpu = device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? GpuName() : null;
        return $"machine: {cpu}, {Environment.ProcessorCount} cores, {ram}, {os} (kernel {Kernel()}), " +
               $"{RuntimeInformation.FrameworkDescription}, device {device}" + (gpu is null ? "" : $" ({gpu})");
    }

    private static string? FirstMatch(string file, Regex pattern)
    {
        try
        {
            return File.Exists(file) && pattern.Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Kernel()
    {
        try
        {
            return File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.Version.ToString();
        }
        catch (IOException)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }

    /// <summary>The first GPU's name from nvidia-smi, when it is installed.</summary>
    private static string? GpuName()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true, RedirectStandardError = true });
            var name = p?.StandardOutput.ReadLine();
            p?.WaitForExit();
            return p?.ExitCode == 0 && !string.IsNullOrWhiteSpace(name) ? name.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^model name\s*:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex CpuModel();

    [GeneratedRegex(@"^MemTotal:\s*(\d+)\s*kB", RegexOptions.Multiline)]
    private static partial Regex MemTotal();

    [GeneratedRegex(@"^PRETTY_NAME=""?([^""\n]+)""?", RegexOptions.Multiline)]
    private static partial Regex PrettyName();
}
