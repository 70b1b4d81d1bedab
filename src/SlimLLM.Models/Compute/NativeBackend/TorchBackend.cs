using System.Runtime.InteropServices;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>What <see cref="TorchBackend.Load"/> did: which backend is in the process and where it came from.</summary>
public sealed record LoadedBackend(BackendKind Kind, string Source, IReadOnlyList<string> Files);

/// <summary>
/// Loads the chosen libtorch into the process before TorchSharp's first use. CPU: TorchSharp's default probing finds the
/// libtorch-cpu package's natives next to the tool. CUDA: the libraries of a located CUDA libtorch are dlopen'ed by
/// absolute path in dependency order, so that TorchSharp's later load-by-name ("torch_cuda", "LibTorchSharp") binds to them.
/// </summary>
public static class TorchBackend
{
    private static readonly Lock Gate = new();

    /// <summary>The backend this process loaded through this class; null before the first <see cref="Load"/>.</summary>
    public static LoadedBackend? Current { get; private set; }

    public static IReadOnlyList<IBackendLocator> DefaultLocators(string cacheRoot) =>
    [
        new UserFolderLocator(),
        new NuGetCudaPackageLocator(NuGetCudaPackageLocator.DefaultPackagesRoot(), NuGetCudaPackageLocator.ConsolidatedFolder(cacheRoot)),
    ];

    /// <summary>Loads <paramref name="choice"/>; on failure throws a SlimLLMException that says how to install the backend or use the CPU.</summary>
    public static LoadedBackend Load(BackendChoice choice, IReadOnlyList<IBackendLocator> locators, INativeLibraryLoader? loader = null, Func<bool>? initializeCuda = null)
    {
        lock (Gate)
        {
            if (Current is not null && Current.Kind == choice.Kind) return Current;
            if (choice.Kind == BackendKind.Cpu)
                return Current = new LoadedBackend(BackendKind.Cpu, $"{LibTorchLayout.CpuPackageId} {LibTorchLayout.LibTorchVersion} (default probing next to the tool)", []);

            loader ??= new SystemNativeLibraryLoader();
            initializeCuda ??= () => torch.TryInitializeDeviceType(DeviceType.CUDA);
            var location = locators.Select(l => l.Locate(choice)).FirstOrDefault(l => l is not null)
                ?? throw new SlimLLMException(null,
                    $"device cuda needs the CUDA libtorch backend, but none was found ({BackendChoice.CudaFolderVariable} is not set, no --libtorch, and no {LibTorchLayout.CudaPackageId} {LibTorchLayout.LibTorchVersion} in the NuGet global packages folder).",
                    UserFolderLocator.Fix);
            foreach (var file in location.LoadOrder)
            {
                if (!loader.TryLoad(file, out var error))
                    throw new SlimLLMException(file, $"the CUDA libtorch backend could not be loaded: {error}",
                        "Check that the NVIDIA driver is installed (nvidia-smi) and that the folder is libtorch " + LibTorchLayout.LibTorchVersion + " built for CUDA 12.8 (run slimllm doctor); " + UserFolderLocator.Fix);
            }
            if (loader is SystemNativeLibraryLoader) BindTorchSharpImports(location);
            if (!initializeCuda())
                throw new SlimLLMException(location.Folder, "the CUDA libtorch backend loaded, but libtorch sees no usable GPU (torch.cuda.is_available() is false).",
                    "Check the NVIDIA driver and CUDA_VISIBLE_DEVICES (nvidia-smi must list a GPU), or use device: cpu.");
            return Current = new LoadedBackend(BackendKind.Cuda, location.FoundBy, location.LoadOrder);
        }
    }

    /// <summary>
    /// TorchSharp's P/Invokes name "LibTorchSharp"; bind them to the copy loaded above rather than letting probing pick
    /// the tool's CPU-build neighbour of the same name (two libtorch_cpu.so in one process register every operator twice).
    /// </summary>
    private static void BindTorchSharpImports(BackendLocation location)
    {
        var sharp = location.LoadOrder[^1];
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) =>
                name is "LibTorchSharp" or "libLibTorchSharp" or "libLibTorchSharp.so" ? NativeLibrary.Load(sharp) : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already set for TorchSharp (a second Load in this process): the first binding stands.
        }
    }

    /// <summary>Test hook: forget what was loaded (the natives stay in the process).</summary>
    internal static void ResetForTests()
    {
        lock (Gate) Current = null;
    }
}
