using System.CommandLine;
using SlimLLM.Caching;
using SlimLLM.Compute.NativeBackend;

namespace SlimLLM.Tool.Cli;

/// <summary>
/// Loads a CUDA libtorch before any command touches TorchSharp, when the user named one (<c>--libtorch DIR</c> or
/// SLIMLLM_LIBTORCH_CUDA). Without either, TorchSharp's default probing loads the backend the tool was built with.
/// </summary>
public static class BackendStartup
{
    public static Option<string?> LibTorchOption { get; } = new("--libtorch")
    {
        Description = $"Folder of a CUDA libtorch {LibTorchLayout.LibTorchVersion} (lib/ of the cu128 zip, or a restored {LibTorchLayout.CudaPackageId}); default: {BackendChoice.CudaFolderVariable}.",
        Recursive = true,
    };

    public static void PreloadIfNamed(string[] args)
    {
        if (args.Length > 0 && args[0] is "doctor" or "backend") return; // they load and report it themselves (install needs no libtorch)
        var folder = OptionValue(args, "--libtorch") ?? Environment.GetEnvironmentVariable(BackendChoice.CudaFolderVariable);
        if (string.IsNullOrWhiteSpace(folder)) return;
        var loaded = TorchBackend.Load(BackendChoice.Cuda(folder), TorchBackend.DefaultLocators(StatisticsCache.ResolveRoot(null)));
        Console.Error.WriteLine($"libtorch backend: cuda from {loaded.Source}");
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
