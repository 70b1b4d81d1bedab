using System.Net;
using NuGet.Configuration;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;

namespace SlimLLM.Compute.Install;

/// <summary>The user-facing errors of <c>slimllm backend install cuda|cpu</c>: each names the package or folder, the cause and the fix.</summary>
internal static class CudaInstallErrors
{
    public static string Label(string id, string version) => $"nuget:{id}@{version}";

    public static SlimLLMException UnsupportedVersion(string version) =>
        new(Label(LibTorchLayout.CudaPackageId, version),
            $"this slimllm runs libtorch {LibTorchLayout.LibTorchVersion} only (TorchSharp 0.107 is built against it), not {version}.",
            $"Omit --version, or pass --version {LibTorchLayout.LibTorchVersion}.");

    public static SlimLLMException NotFound(string id, string version, IReadOnlyList<PackageSource> sources, IReadOnlyList<(PackageSource Source, Exception Error)> failures)
    {
        if (failures.FirstOrDefault(f => IsAccessDenied(f.Error)) is { Source: not null } denied)
            return new SlimLLMException(Label(id, version),
                $"the feed {denied.Source.Source} refused access ({Status(denied.Error)}) while looking for {id} {version}.",
                "Add credentials for this feed to NuGet.Config (packageSourceCredentials, or install its credential provider), then run again.",
                inner: denied.Error);
        var failed = failures.Count > 0 ? $" Feeds that failed: {string.Join("; ", failures.Select(f => $"{f.Source.Source}: {f.Error.Message}"))}." : "";
        return new SlimLLMException(Label(id, version),
            $"no feed has {id} {version} (tried {string.Join(", ", sources.Select(s => s.Source))}).{failed}",
            id.StartsWith("libtorch-cpu-", StringComparison.Ordinal)
                ? "Add a feed that serves TorchSharp's libtorch packages (nuget.org: https://api.nuget.org/v3/index.json) in NuGet.Config (or --source FEED with slimllm backend install cpu); " +
                  $"or restore any project that references {id} {version}; or put the lib folder of libtorch {LibTorchLayout.LibTorchVersion} on the native search path."
                : "Add a feed that serves TorchSharp's CUDA packages (nuget.org: https://api.nuget.org/v3/index.json) with --source FEED or in NuGet.Config; " +
                  $"or unpack the libtorch {LibTorchLayout.LibTorchVersion} cu128 zip and point --libtorch (or {BackendChoice.CudaFolderVariable}) at its lib folder.");
    }

    public static SlimLLMException DiskFull(string folder, IOException e) =>
        new(folder, $"no space left on the disk: {e.Message}",
            "Free disk space (the CUDA backend takes several GB, twice while the split files are joined) or set NUGET_PACKAGES to a disk with room, then run again: " +
            "packages already complete are kept, a half-written one was removed.",
            inner: e);

    public static bool IsDiskFull(IOException e) => IO.DiskSpace.IsDiskFull(e);

    private static bool IsAccessDenied(Exception e) => Status(e) is not null;

    private static string? Status(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } http)
                return $"HTTP {(int)http.StatusCode.Value} {http.StatusCode.Value}";
            if (x.Message.Contains("401 (Unauthorized)", StringComparison.Ordinal)) return "HTTP 401 Unauthorized";
            if (x.Message.Contains("403 (Forbidden)", StringComparison.Ordinal)) return "HTTP 403 Forbidden";
        }
        return null;
    }
}
