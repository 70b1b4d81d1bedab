using SlimLLM.Compute.NativeBackend;

namespace SlimLLM.Compute.Install;

/// <summary>Where <see cref="CudaBackendInstaller"/> puts the CUDA libtorch packages and where it fetches them from.</summary>
public sealed class CudaBackendInstallOptions
{
    /// <summary>The NuGet global packages folder (<see cref="NuGetCudaPackageLocator.DefaultPackagesRoot"/>): packages land in <c>{root}/{id}/{version}/</c>.</summary>
    public required string PackagesRoot { get; init; }

    /// <summary>The slimllm cache root; the natives are gathered in <see cref="NuGetCudaPackageLocator.ConsolidatedFolder"/> under it.</summary>
    public required string CacheRoot { get; init; }

    /// <summary>One feed to use instead of NuGet.Config's (<c>--source</c>): a folder of .nupkg files or an http(s) v3 URL.</summary>
    public string? Source { get; init; }

    /// <summary>The folder whose NuGet.Config chain applies (feeds, credentials); null for the current folder.</summary>
    public string? ConfigRoot { get; init; }

    /// <summary>The libtorch version asked for; only <see cref="LibTorchLayout.LibTorchVersion"/> is accepted. Null means that one.</summary>
    public string? Version { get; init; }

    /// <summary>Where libLibTorchSharp.so comes from when the packages lack it (they do: TorchSharp ships it); default: the tool's folder.</summary>
    public string? ToolFolder { get; init; }
}

/// <summary>One package of the CUDA backend: where it is, and whether this run downloaded it (from which feed, how many bytes).</summary>
public sealed record InstalledPackage(string Id, string Version, string Folder, string? DownloadedFrom, long DownloadedBytes);

/// <summary>What an install did: every package of the closure, head first, and the backend as the locator found it.</summary>
public sealed record CudaBackendInstallResult(string PackagesRoot, BackendLocation Backend, IReadOnlyList<InstalledPackage> Packages)
{
    public int Downloaded => Packages.Count(p => p.DownloadedFrom is not null);
    public long DownloadedBytes => Packages.Sum(p => p.DownloadedBytes);
}
