namespace SlimLLM.Compute.NativeBackend;

/// <summary>
/// The CUDA libtorch restored into the NuGet global packages folder: <c>libtorch-cuda-12.8-linux-x64*</c> packages
/// (the head package and its -partN / -primary / -fragmentN packages). Their natives are spread over several package
/// folders and libtorch finds its siblings through RPATH $ORIGIN, so they are stitched (if still in fragments) and
/// consolidated into one folder, as TorchSharp itself does for notebooks.
/// </summary>
public sealed class NuGetCudaPackageLocator(string packagesRoot, string consolidatedFolder, string? toolFolder = null) : IBackendLocator
{
    private readonly string toolFolder = toolFolder ?? LibTorchLayout.ToolNativeFolder();

    public static string DefaultPackagesRoot(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        return environment("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    /// <summary>Where the natives of the packages are gathered: <c>{cacheRoot}/backends/libtorch-cuda-12.8-2.10.0</c>.</summary>
    public static string ConsolidatedFolder(string cacheRoot) =>
        Path.Combine(cacheRoot, "backends", $"libtorch-cuda-12.8-{LibTorchLayout.LibTorchVersion}");

    public BackendLocation? Locate(BackendChoice choice)
    {
        if (choice.Kind != BackendKind.Cuda || !string.IsNullOrWhiteSpace(choice.Folder) || !Directory.Exists(packagesRoot)) return null;
        var packages = Directory.GetDirectories(packagesRoot, LibTorchLayout.CudaPackageId + "*")
            .Select(p => Path.Combine(p, LibTorchLayout.LibTorchVersion))
            .Where(Directory.Exists).OrderBy(p => p, StringComparer.Ordinal).ToList();
        if (packages.Count == 0) return null;
        foreach (var primary in packages.Where(p => Path.GetFileName(Path.GetDirectoryName(p)!).EndsWith("-primary", StringComparison.Ordinal)))
            FragmentStitcher.Stitch(primary);
        Directory.CreateDirectory(consolidatedFolder);
        foreach (var package in packages)
        {
            var natives = Path.Combine(package, "runtimes", "linux-x64", "native");
            if (!Directory.Exists(natives)) continue;
            foreach (var file in Directory.GetFiles(natives).Where(f => !f.EndsWith(".sha", StringComparison.Ordinal)))
            {
                var target = Path.Combine(consolidatedFolder, Path.GetFileName(file));
                if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(file).Length)
                    File.Copy(file, target, overwrite: true);
            }
        }
        return UserFolderLocator.Check(consolidatedFolder, toolFolder, $"NuGet packages {packagesRoot}/{LibTorchLayout.CudaPackageId}*/{LibTorchLayout.LibTorchVersion}, consolidated in {consolidatedFolder}");
    }
}
