using System.IO.Compression;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>
/// Extracts a .nupkg, refusing the whole package when any entry (after NuGet's percent-decoding) would land outside the
/// target folder: "../x", "/etc/x", "C:\x", "%2e%2e/x". Every entry is checked before anything is written.
/// </summary>
internal static class SafeZipExtractor
{
    /// <summary>Packaging bookkeeping (OPC parts, signature) that is not package content.</summary>
    private static bool IsPackagingPart(string name) =>
        name == "[Content_Types].xml" || name == ".signature.p7s" || name.StartsWith("_rels/", StringComparison.Ordinal)
        || name.StartsWith("package/services/metadata/", StringComparison.Ordinal);

    /// <returns>The extracted files, relative to <paramref name="target"/>, '/'-separated.</returns>
    public static IReadOnlyList<string> Extract(string nupkg, string target, string packageLabel)
    {
        var root = Path.GetFullPath(target);
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(nupkg);
        }
        catch (InvalidDataException e)
        {
            throw new SlimLLMException(packageLabel, $"is not a valid package (zip) file: {e.Message}", "Republish the package, or clear the feed's copy and fetch it again.", inner: e);
        }
        using (archive)
        {
            var plan = new List<(ZipArchiveEntry Entry, string Relative, string Destination)>();
            foreach (var entry in archive.Entries)
            {
                var name = Uri.UnescapeDataString(entry.FullName).Replace('\\', '/');
                if (IsPackagingPart(name) || name.EndsWith('/')) continue;
                var destination = Path.GetFullPath(Path.Combine(root, name.Replace('/', Path.DirectorySeparatorChar)));
                if (Path.IsPathRooted(name) || name.Contains(':') || !destination.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                    throw new SlimLLMException(packageLabel,
                        $"entry '{entry.FullName}' would be extracted outside the package folder (path traversal); nothing was extracted.",
                        "The package is malformed or malicious: do not use it, and ask its publisher for a fixed one.");
                plan.Add((entry, name, destination));
            }
            foreach (var (entry, _, destination) in plan)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                entry.ExtractToFile(destination, overwrite: true);
            }
            return plan.Select(p => p.Relative).Order(StringComparer.Ordinal).ToList();
        }
    }
}
