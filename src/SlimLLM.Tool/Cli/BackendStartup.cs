using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.Compute.Install;
using SlimLLM.Compute.NativeBackend;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Loads libtorch before any command touches TorchSharp: the CUDA one the user named (<c>--libtorch DIR</c> or
/// SLIMLLM_LIBTORCH_CUDA), else the CPU one (<see cref="CpuLibTorchLocator"/>). The packaged tool carries no libtorch:
/// on a machine that has none yet, the first command that needs it installs <c>libtorch-cpu-{rid}</c> into the NuGet
/// global packages folder, once for every tool, build and app there.
/// </summary>
public static class BackendStartup
{
    public static Option<string?> LibTorchOption { get; } = new("--libtorch")
    {
        Description = $"Folder of a CUDA libtorch {LibTorchLayout.LibTorchVersion} (lib/ of the cu128 zip, or a restored {LibTorchLayout.CudaPackageId}); default: {BackendChoice.CudaFolderVariable}.",
        Recursive = true,
    };

    public static void Preload(string[] args)
    {
        if (args.Length > 0 && args[0] is "doctor" or "backend") return; // they load and report it themselves (install needs no libtorch)
        var folder = OptionValue(args, "--libtorch") ?? Environment.GetEnvironmentVariable(BackendChoice.CudaFolderVariable);
        if (string.IsNullOrWhiteSpace(folder))
        {
            if (NeedsTorch(args)) LoadCpu();
            return;
        }
        var loaded = TorchBackend.Load(BackendChoice.Cuda(folder), TorchBackend.DefaultLocators(StatisticsCache.ResolveRoot(null)));
        Console.Error.WriteLine($"libtorch backend: cuda from {loaded.Source}");
    }

    private static bool NeedsTorch(string[] args) =>
        args.Length > 0 && args[0] is "inspect" or "eval" or "generate" or "prune" or "export" && !args.Any(a => a is "-h" or "--help" or "-?");

    private static void LoadCpu()
    {
        var locator = CpuLibTorchLocator.ForThisProcess();
        if (locator is not null && locator.Locate(BackendChoice.Cpu) is null)
        {
            Console.Error.WriteLine($"slimllm: installing {NativePlatform.Current!.CpuPackageId} {LibTorchLayout.LibTorchVersion} (libtorch) into the NuGet global packages folder, once for this machine.");
            CpuBackendInstaller.Install(NativePlatform.Current, new CudaBackendInstallOptions
            {
                PackagesRoot = NuGetCudaPackageLocator.DefaultPackagesRoot(),
                CacheRoot = StatisticsCache.ResolveRoot(null),
            }, new StderrProgress());
        }
        TorchBackend.Load(BackendChoice.Cpu, TorchBackend.CpuLocators());
    }

    private static string? OptionValue(string[] args, string name)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length) return args[i + 1];
            if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) return args[i][(name.Length + 1)..];
        }
        return null;
    }
}
