namespace SlimLLM.Compute.NativeBackend;

/// <summary>
/// Finds the CPU libtorch, in this order: next to the app (an app that references <c>libtorch-cpu-{rid}</c> itself, or
/// a build from this repository: TorchSharp's default probing loads it, nothing is preloaded); the
/// <c>libtorch-cpu-{rid}</c> package in the NuGet global packages folder, as restore (or <c>slimllm backend install cpu</c>)
/// lays it out, complete when restore's <c>.nupkg.metadata</c> marker is there; a folder on the native search path
/// (LD_LIBRARY_PATH, PATH or DYLD_LIBRARY_PATH) holding libtorch. TorchSharp's own LibTorchSharp comes from the app
/// (the TorchSharp package puts one per platform under runtimes/), else from the restored TorchSharp package.
/// Returns null when there is none: the caller installs it or says how.
/// </summary>
public sealed class CpuLibTorchLocator(NativePlatform platform, string appFolder, string packagesRoot, Func<string, string?>? environment = null) : IBackendLocator
{
    public const string TorchSharpVersion = "0.107.0";
    private readonly Func<string, string?> environment = environment ?? Environment.GetEnvironmentVariable;

    public static CpuLibTorchLocator? ForThisProcess(Func<string, string?>? environment = null) =>
        NativePlatform.Current is { } platform
            ? new CpuLibTorchLocator(platform, AppContext.BaseDirectory, NuGetCudaPackageLocator.DefaultPackagesRoot(environment), environment)
            : null;

    /// <summary>The folder restore extracts the package into: <c>{root}/libtorch-cpu-{rid}/2.10.0</c>.</summary>
    public string PackageFolder => Path.Combine(packagesRoot, platform.CpuPackageId, LibTorchLayout.LibTorchVersion);

    public BackendLocation? Locate(BackendChoice choice)
    {
        if (choice.Kind != BackendKind.Cpu) return null;
        var torchCpu = platform.FileName("torch_cpu");
        var beside = AppNativeFolders().FirstOrDefault(f => File.Exists(Path.Combine(f, torchCpu)));
        if (beside is not null)
            return new BackendLocation(BackendKind.Cpu, beside, [], $"{platform.CpuPackageId} {LibTorchLayout.LibTorchVersion} next to the app ({beside})");

        var sharp = LibTorchSharp();
        if (sharp is null) return null;
        var package = platform.PackageNativeFolder(PackageFolder);
        if (File.Exists(Path.Combine(PackageFolder, ".nupkg.metadata")) && HasAll(package))
            return Located(package, sharp, $"{platform.CpuPackageId} {LibTorchLayout.LibTorchVersion} in the NuGet global packages folder ({package})");
        var onPath = SearchPath().FirstOrDefault(HasAll);
        return onPath is null ? null : Located(onPath, sharp, $"libtorch on {platform.SearchPathVariable} ({onPath})");
    }

    private BackendLocation Located(string folder, string sharp, string foundBy) =>
        new(BackendKind.Cpu, folder, [.. platform.CpuLibraries.Select(f => Path.Combine(folder, f)), sharp], foundBy);

    private bool HasAll(string folder) => platform.CpuLibraries.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>A portable build keeps natives under runtimes/{rid}/native; a RID-specific one beside the app.</summary>
    private IEnumerable<string> AppNativeFolders() => [platform.PackageNativeFolder(appFolder), appFolder];

    private string? LibTorchSharp()
    {
        var restored = platform.PackageNativeFolder(Path.Combine(packagesRoot, "torchsharp", TorchSharpVersion));
        return AppNativeFolders().Append(restored).Select(f => Path.Combine(f, platform.LibTorchSharp)).FirstOrDefault(File.Exists);
    }

    private IEnumerable<string> SearchPath() =>
        (environment(platform.SearchPathVariable) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(Path.IsPathRooted);
}
