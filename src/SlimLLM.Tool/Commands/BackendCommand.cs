using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.Compute.Install;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

/// <summary><c>slimllm backend install cuda</c> and <c>slimllm backend status</c>.</summary>
public static class BackendCommand
{
    public static Command Create()
    {
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache folder; the CUDA natives are gathered under its backends/ (default: SLIMLLM_CACHE, else the user cache folder)." };
        var json = CommonOptions.Json();
        return new Command("backend", "Install or check the libtorch compute backend.") { Install(cacheDir, json), Status(cacheDir, json) };
    }

    private static Command Install(Option<string?> cacheDir, Option<bool> json)
    {
        var kind = new Argument<string>("backend")
        {
            Description = $"cuda: libtorch {LibTorchLayout.LibTorchVersion} for CUDA 12.8 on linux-x64 ({LibTorchLayout.CudaPackageId}); " +
                          $"cpu: libtorch {LibTorchLayout.LibTorchVersion} for this platform (libtorch-cpu-RID; the first command that needs it installs it too).",
        };
        kind.AcceptOnlyFromAmong("cuda", "cpu");
        var source = new Option<string?>("--source") { Description = "Feed to download from instead of NuGet.Config's: a folder of .nupkg files or an http(s) NuGet v3 URL (NuGet.Config's credentials for it apply)." };
        var version = new Option<string?>("--version") { Description = $"libtorch version: only {LibTorchLayout.LibTorchVersion} (what TorchSharp 0.107 is built for); omit it." };
        var command = new Command("install",
            $"Download {LibTorchLayout.CudaPackageId} {LibTorchLayout.LibTorchVersion} and its -part/-primary/-fragment packages into the NuGet global packages folder " +
            "(NUGET_PACKAGES, else ~/.nuget/packages) as dotnet restore would, skipping those already there; join the split files (SHA-256 checked), " +
            $"gather the natives in one folder under the cache's backends/ and print it: point {BackendChoice.CudaFolderVariable} (or --libtorch) at it.")
            { kind, source, version, cacheDir, json };
        command.SetAction(r =>
        {
            var options = new CudaBackendInstallOptions
            {
                PackagesRoot = NuGetCudaPackageLocator.DefaultPackagesRoot(),
                CacheRoot = StatisticsCache.ResolveRoot(r.GetValue(cacheDir)),
                Source = r.GetValue(source),
                Version = r.GetValue(version),
            };
            if (r.GetValue(kind) == "cpu") return InstallCpu(options, r.GetValue(json));
            var result = CudaBackendInstaller.Install(options, new StderrProgress());
            if (r.GetValue(json)) PrintJson(result);
            else PrintText(result);
            return ExitCodes.Success;
        });
        return command;
    }

    private static int InstallCpu(CudaBackendInstallOptions options, bool json)
    {
        var platform = NativePlatform.Current ?? throw new Errors.SlimLLMException(null,
            $"TorchSharp's libtorch packages are served for {string.Join(", ", NativePlatform.Served.Select(p => p.Rid))} only.", "Run slimllm on one of those platforms.");
        var package = CpuBackendInstaller.Install(platform, options, new StderrProgress());
        var natives = platform.PackageNativeFolder(package.Folder);
        if (json)
            Json.Print(new { packages_root = options.PackagesRoot, backend_folder = natives, downloaded = package.DownloadedFrom is null ? 0 : 1, downloaded_bytes = package.DownloadedBytes,
                packages = new[] { new { id = package.Id, version = package.Version, folder = package.Folder, downloaded_from = package.DownloadedFrom, downloaded_bytes = package.DownloadedBytes } } });
        else
            Console.Out.WriteLine($"{package.Id} {package.Version}: " + (package.DownloadedFrom is null ? "already" : $"downloaded ({CacheMaintenance.Format(package.DownloadedBytes)}) and") +
                                  $" in {package.Folder}\ncpu backend: {natives} (every slimllm on this machine uses it)");
        return ExitCodes.Success;
    }

    private static Command Status(Option<string?> cacheDir, Option<bool> json)
    {
        var command = new Command("status",
            $"Print the libtorch backend slimllm doctor finds (cpu, or cuda and from where: --libtorch, {BackendChoice.CudaFolderVariable}, else the installed packages) " +
            "and whether libtorch sees a GPU: doctor's libstdc++, libtorch and cuda lines.")
            { cacheDir, json };
        command.SetAction(r =>
        {
            DoctorCommand.Print(DoctorChecks.Backend(r.GetValue(BackendStartup.LibTorchOption), r.GetValue(cacheDir)), r.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void PrintText(CudaBackendInstallResult result)
    {
        var head = result.Packages[0];
        Console.Out.WriteLine($"{head.Id} {head.Version}: {result.Packages.Count} packages in {result.PackagesRoot}, " +
                              $"{result.Downloaded} downloaded ({CacheMaintenance.Format(result.DownloadedBytes)}), {result.Packages.Count - result.Downloaded} already there");
        Console.Out.WriteLine($"cuda backend: {result.Backend.Folder}");
        Console.Out.WriteLine($"To use it: export {BackendChoice.CudaFolderVariable}={result.Backend.Folder} (or pass --libtorch with that folder); check with: slimllm backend status");
    }

    private static void PrintJson(CudaBackendInstallResult result) => Json.Print(new
    {
        packages_root = result.PackagesRoot,
        backend_folder = result.Backend.Folder,
        load_order = result.Backend.LoadOrder,
        downloaded = result.Downloaded,
        downloaded_bytes = result.DownloadedBytes,
        packages = result.Packages.Select(p => new { id = p.Id, version = p.Version, folder = p.Folder, downloaded_from = p.DownloadedFrom, downloaded_bytes = p.DownloadedBytes }),
    });
}
