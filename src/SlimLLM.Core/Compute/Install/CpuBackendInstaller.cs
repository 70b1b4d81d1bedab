using NuGet.Versioning;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Output;
using SlimLLM.Progress;

namespace SlimLLM.Compute.Install;

/// <summary>
/// <c>slimllm backend install cpu</c>, and the tool's first run on a machine without it: restores
/// <c>libtorch-cpu-{rid}</c> 2.10.0 into the NuGet global packages folder the way <c>dotnet restore</c> does (so a
/// package that restore already put there counts, and every tool, build and app on the machine shares that one copy),
/// from the feeds of the NuGet.Config that applies to <see cref="CudaBackendInstallOptions.ConfigRoot"/>.
/// </summary>
public static class CpuBackendInstaller
{
    public static InstalledPackage Install(NativePlatform platform, CudaBackendInstallOptions options, IProgressReporter? progress = null, CancellationToken ct = default) =>
        InstallAsync(platform, options, progress, ct).GetAwaiter().GetResult();

    public static async Task<InstalledPackage> InstallAsync(NativePlatform platform, CudaBackendInstallOptions options, IProgressReporter? progress = null, CancellationToken ct = default)
    {
        var version = NuGetVersion.Parse(LibTorchLayout.LibTorchVersion);
        if (options.Version is not null && !(NuGetVersion.TryParse(options.Version, out var asked) && asked == version))
            throw CudaInstallErrors.UnsupportedVersion(options.Version);
        progress ??= NullProgress.Instance;
        var packages = new GlobalPackagesFolder(options.PackagesRoot);
        // Two builds on a fresh machine both start by installing it: the second waits, then finds it installed.
        using var installing = OutputLock.Acquire(packages.InstallPath(platform.CpuPackageId, version), progress, ct);
        using var feeds = new PackageFeeds(options.ConfigRoot, options.Source);
        try
        {
            return await CudaBackendInstaller.EnsureInstalledAsync(packages, feeds, platform.CpuPackageId, version, progress, ct);
        }
        catch (IOException e) when (CudaInstallErrors.IsDiskFull(e))
        {
            throw CudaInstallErrors.DiskFull(options.PackagesRoot, e);
        }
    }
}
