using System.IO.Compression;

namespace SlimLLM.Tests.Sources;

/// <summary>Builds real .nupkg files (a nuspec plus arbitrary entries) into a folder feed.</summary>
internal static class TestPackages
{
    public const string Id = "Tiny.Stories.Model";

    /// <param name="dependencies">Package ids this one depends on (at its own version), written as a nuspec dependency group the way pack writes project references.</param>
    public static string Build(string feed, string version, IEnumerable<(string Entry, byte[] Content)> entries, string id = Id, IEnumerable<string>? dependencies = null,
        CompressionLevel compression = CompressionLevel.Fastest)
    {
        var group = dependencies is null ? "" :
            "<dependencies><group targetFramework=\".NETStandard2.0\">" +
            string.Concat(dependencies.Select(d => $"<dependency id=\"{d}\" version=\"{version}\" exclude=\"Build,Analyzers\" />")) +
            "</group></dependencies>";
        Directory.CreateDirectory(feed);
        var path = Path.Combine(feed, $"{id}.{version}.nupkg");
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, $"{id}.nuspec", System.Text.Encoding.UTF8.GetBytes($"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>tests</authors>
                <description>A model packed for a test.</description>
                {group}
              </metadata>
            </package>
            """));
        foreach (var (entry, content) in entries) Add(zip, entry, content, compression);
        return path;
    }

    /// <summary>The tinystories-llama model files under <paramref name="prefix"/>.</summary>
    public static IEnumerable<(string, byte[])> ModelFiles(string modelFolder, string prefix = "content/") =>
        Directory.GetFiles(modelFolder).Select(f => (prefix + Path.GetFileName(f), File.ReadAllBytes(f)));

    /// <summary>Just a config.json: enough for the resolver to find a model folder.</summary>
    public static IEnumerable<(string, byte[])> ConfigOnly(string modelFolder) =>
        [("content/config.json", File.ReadAllBytes(Path.Combine(modelFolder, "config.json")))];

    private static void Add(ZipArchive zip, string name, byte[] content, CompressionLevel compression = CompressionLevel.Fastest)
    {
        using var stream = zip.CreateEntry(name, compression).Open();
        stream.Write(content);
    }
}
