using NuGet.Versioning;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Progress;

namespace SlimLLM.Compute.Install;

/// <summary>
/// <c>slimllm backend install cuda</c>: restores <c>libtorch-cuda-12.8-linux-x64</c> 2.10.0 and every
/// <c>libtorch-cuda-12.8-linux-x64-*</c> package it depends on (TorchSharp splits libtorch over -partN, -partN-primary
/// and -partN-fragmentM packages; the head lists them in its nuspec) into the NuGet global packages folder, the way
/// <c>dotnet restore</c> would, downloading only what is not there yet. Then <see cref="NuGetCudaPackageLocator"/>
/// stitches the split files (checking their SHA-256) and gathers the natives into one folder, and checks that folder.
/// </summary>
public static class CudaBackendInstaller
{
    public static CudaBackendInstallResult Install(CudaBackendInstallOptions options, IProgressReporter? progress = null, CancellationToken ct = default) =>
        InstallAsync(options, progress, ct).GetAwaiter().GetResult();

    public static async Task<CudaBackendInstallResult> InstallAsync(CudaBackendInstallOptions options, IProgressReporter? progress = null, CancellationToken ct = default)
    {
        progress ??= NullProgress.Instance;
        var version = SupportedVersion(options.Version);
        var packages = new GlobalPackagesFolder(options.PackagesRoot);
        using var feeds = new PackageFeeds(options.ConfigRoot, options.Source);
        var installed = new List<InstalledPackage>();
        var queue = new Queue<(string Id, NuGetVersion Version)>([(LibTorchLayout.CudaPackageId, version)]);
        var seen = new HashSet<string>([LibTorchLayout.CudaPackageId], StringComparer.OrdinalIgnoreCase);
        try
        {
            while (queue.TryDequeue(out var next))
            {
                ct.ThrowIfCancellationRequested();
                installed.Add(await EnsureInstalledAsync(packages, feeds, next.Id, next.Version, progress, ct));
                foreach (var dependency in packages.Dependencies(next.Id, next.Version).Where(d => IsPart(d.Id) && seen.Add(d.Id)))
                    queue.Enqueue((dependency.Id, dependency.VersionRange.MinVersion ?? next.Version)); // restore takes the lowest version allowed
            }
        }
        catch (IOException e) when (CudaInstallErrors.IsDiskFull(e))
        {
            throw CudaInstallErrors.DiskFull(options.PackagesRoot, e);
        }

        var consolidated = NuGetCudaPackageLocator.ConsolidatedFolder(options.CacheRoot);
        progress.Info($"Joining split files and gathering the natives in {consolidated}.");
        try
        {
            var backend = new NuGetCudaPackageLocator(options.PackagesRoot, consolidated, options.ToolFolder).Locate(BackendChoice.Cuda(null))
                          ?? throw new InvalidOperationException($"{options.PackagesRoot} holds no {LibTorchLayout.CudaPackageId} package right after installing it");
            return new CudaBackendInstallResult(options.PackagesRoot, backend, installed);
        }
        catch (IOException e) when (CudaInstallErrors.IsDiskFull(e))
        {
            throw CudaInstallErrors.DiskFull(consolidated, e);
        }
    }

    internal static async Task<InstalledPackage> EnsureInstalledAsync(GlobalPackagesFolder packages, PackageFeeds feeds, string id, NuGetVersion version,
        IProgressReporter progress, CancellationToken ct)
    {
        var folder = packages.InstallPath(id, version);
        var normalized = version.ToNormalizedString();
        if (packages.IsInstalled(id, version)) return new InstalledPackage(id, normalized, folder, null, 0);

        var phase = $"download {id} {normalized}";
        long bytes = 0;
        var from = await packages.InstallAsync(id, version, path => feeds.DownloadAsync(id, version, path, done =>
        {
            bytes = done;
            progress.Report(phase, done, 0); // 0: the feed does not say the size beforehand
        }, ct));
        progress.Report(phase, bytes, bytes);
        progress.Info($"Installed {id} {normalized} ({bytes} bytes) from {from}.");
        return new InstalledPackage(id, normalized, folder, from, bytes);
    }

    private static NuGetVersion SupportedVersion(string? asked)
    {
        if (asked is null) return NuGetVersion.Parse(LibTorchLayout.LibTorchVersion);
        return NuGetVersion.TryParse(asked, out var v) && v == NuGetVersion.Parse(LibTorchLayout.LibTorchVersion)
            ? v : throw CudaInstallErrors.UnsupportedVersion(asked);
    }

    private static bool IsPart(string id) => id.StartsWith(LibTorchLayout.CudaPackageId + "-", StringComparison.OrdinalIgnoreCase);
}
