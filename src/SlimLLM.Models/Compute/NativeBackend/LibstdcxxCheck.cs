using System.Diagnostics;
using System.Text;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>libLibTorchSharp.so (TorchSharp 0.107) needs GLIBCXX_3.4.32 from the system libstdc++ (GCC 13+).</summary>
public sealed record LibstdcxxReport(string? Path, bool HasRequired, string? Newest)
{
    public const string Required = "GLIBCXX_3.4.32";

    public static LibstdcxxReport Probe(string? path = null)
    {
        path ??= Find();
        if (path is null || !File.Exists(path)) return new LibstdcxxReport(path, false, null);
        var text = Encoding.Latin1.GetString(File.ReadAllBytes(path));
        var versions = System.Text.RegularExpressions.Regex.Matches(text, @"GLIBCXX_3\.4(?:\.(\d+))?")
            .Select(m => m.Groups[1].Success ? int.Parse(m.Groups[1].Value) : 0).Distinct().ToList();
        var newest = versions.Count == 0 ? null : $"GLIBCXX_3.4.{versions.Max()}";
        return new LibstdcxxReport(path, text.Contains(Required + "\0", StringComparison.Ordinal), newest);
    }

    private static string? Find()
    {
        const string debian = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        if (File.Exists(debian)) return debian;
        try
        {
            using var p = Process.Start(new ProcessStartInfo("ldconfig", "-p") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return output.Split('\n').Where(l => l.Contains("libstdc++.so.6", StringComparison.Ordinal) && l.Contains("=>", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim()).FirstOrDefault();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no ldconfig on PATH
        }
    }
}
