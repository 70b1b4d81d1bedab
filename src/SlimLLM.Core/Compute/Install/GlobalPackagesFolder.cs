using System.Security.Cryptography;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;
using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.Sources;

namespace SlimLLM.Compute.Install;

/// <summary>
/// The NuGet global packages folder, laid out as restore lays it out: <c>{root}/{id lowercase}/{version}/</c> holding the
/// package's files, <c>{id}.{version}.nupkg</c>, its <c>.nupkg.sha512</c> (base64 SHA-512) and <c>.nupkg.metadata</c>,
/// whose presence marks the package complete (restore's own test, so packages it restored count as installed here).
/// </summary>
internal sealed class GlobalPackagesFolder(string root)
{
    private readonly VersionFolderPathResolver _paths = new(root, isLowercase: true);

    public string Root { get; } = root;

    public string InstallPath(string id, NuGetVersion version) => _paths.GetInstallPath(id, version);

    public bool IsInstalled(string id, NuGetVersion version) => File.Exists(_paths.GetNupkgMetadataPath(id, version));

    /// <summary>
    /// Installs the package that <paramref name="download"/> writes to the path it is given (returning the feed it came
    /// from). Everything is built in a temporary folder beside the final one and renamed in at the end, so a crash leaves
    /// no half-extracted package; an entry that would land outside the folder refuses the whole package.
    /// </summary>
    public async Task<string> InstallAsync(string id, NuGetVersion version, Func<string, Task<string>> download)
    {
        var label = CudaInstallErrors.Label(id, version.ToNormalizedString());
        Directory.CreateDirectory(Root);
        var nupkg = Path.Combine(Root, $".{id.ToLowerInvariant()}.{version.ToNormalizedString()}.{Guid.NewGuid():N}.download");
        try
        {
            var source = await download(nupkg);
            using var folder = new AtomicFolder(InstallPath(id, version));
            SafeZipExtractor.Extract(nupkg, folder.TempPath, label);
            NameNuspecAsRestoreDoes(folder.TempPath, id, version, label);
            var hash = Sha512Base64(nupkg);
            File.Move(nupkg, Path.Combine(folder.TempPath, _paths.GetPackageFileName(id, version)), overwrite: true);
            await File.WriteAllTextAsync(Path.Combine(folder.TempPath, _paths.GetHashFileName(id, version)), hash);
            NupkgMetadataFileFormat.Write(Path.Combine(folder.TempPath, PackagingCoreConstants.NupkgMetadataFileExtension),
                new NupkgMetadataFile { ContentHash = hash, Source = source });
            folder.Commit();
            return source;
        }
        finally
        {
            File.Delete(nupkg);
        }
    }

    /// <summary>The package's dependencies, all target framework groups together.</summary>
    public IReadOnlyList<PackageDependency> Dependencies(string id, NuGetVersion version)
    {
        var nuspec = _paths.GetManifestFilePath(id, version);
        if (!File.Exists(nuspec))
            throw new SlimLLMException(InstallPath(id, version), "the installed package has no .nuspec, so its dependencies are unknown.",
                "Delete this folder and run slimllm backend install cuda again.");
        return new NuspecReader(nuspec).GetDependencyGroups().SelectMany(g => g.Packages).ToList();
    }

    /// <summary>Restore stores the manifest as <c>{id lowercase}.nuspec</c>, whatever its name inside the .nupkg.</summary>
    private void NameNuspecAsRestoreDoes(string folder, string id, NuGetVersion version, string label)
    {
        var found = Directory.GetFiles(folder, "*.nuspec");
        if (found.Length != 1)
            throw new SlimLLMException(label, $"the package has {found.Length} .nuspec files at its root, not one.", "The feed serves a malformed package: ask its publisher for a fixed one.");
        var nuspec = found[0];
        var expected = Path.Combine(folder, _paths.GetManifestFileName(id, version));
        if (nuspec != expected) File.Move(nuspec, expected);
    }

    private static string Sha512Base64(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToBase64String(SHA512.HashData(stream));
    }
}
