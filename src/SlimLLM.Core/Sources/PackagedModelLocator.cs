namespace SlimLLM.Sources;

/// <summary>
/// Finds the model inside an extracted package: under <c>content/</c>, <c>contentFiles/any/any/</c>, <c>models/</c>, or
/// at the package root; the shallowest folder with config.json wins, else the one .gguf file.
/// </summary>
internal static class PackagedModelLocator
{
    private static readonly string[] ModelRoots = ["content/", "contentFiles/any/any/", "models/"];

    public static string Locate(string packageFolder, string packageLabel)
    {
        var files = Directory.EnumerateFiles(packageFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(packageFolder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.Contains('/') || ModelRoots.Any(r => f.StartsWith(r, StringComparison.Ordinal)))
            .ToList();
        return ModelEntryPoint.Choose(packageFolder, files, packageLabel, "under content/, contentFiles/any/any/, models/ or the package root");
    }
}
