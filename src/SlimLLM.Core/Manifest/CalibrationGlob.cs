using Microsoft.Extensions.FileSystemGlobbing;

namespace SlimLLM.Manifest;

/// <summary>
/// Expands a calibration file pattern relative to the manifest's folder. The pattern's leading segments without a
/// wildcard ("../data/text" in "../data/text/**/*.txt", or an absolute prefix) pick the folder the matcher searches,
/// since FileSystemGlobbing matches only below its root.
/// </summary>
internal static class CalibrationGlob
{
    public static bool IsPattern(string pattern) => pattern.Contains('*');

    /// <summary>The folder searched (absolute) and the pattern relative to it.</summary>
    public static (string Root, string Relative) Split(string manifestDir, string pattern)
    {
        var normalized = OperatingSystem.IsWindows() ? pattern.Replace('\\', '/') : pattern;
        var segments = normalized.Split('/');
        int firstWild = Array.FindIndex(segments, s => s.Contains('*'));
        var prefix = string.Join('/', segments[..firstWild]);
        if (prefix.Length == 0 && normalized.StartsWith('/')) prefix = "/";
        var root = Path.GetFullPath(Path.Combine(manifestDir, prefix));
        return (root, string.Join('/', segments[firstWild..]));
    }

    /// <summary>The absolute files matching, sorted ordinally; empty when the root folder does not exist.</summary>
    public static IReadOnlyList<string> Expand(string root, string relative)
    {
        if (!Directory.Exists(root)) return [];
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var matcher = new Matcher(comparison);
        matcher.AddInclude(relative);
        return matcher.GetResultsInFullPath(root).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
    }
}
