using System.Runtime.InteropServices;
using SlimLLM.Errors;
using TorchSharp;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>What <see cref="TorchBackend.Load"/> did: which backend is in the process and where it came from.</summary>
public sealed record LoadedBackend(BackendKind Kind, string Source, IReadOnlyList<string> Files);

/// <summary>
/// Loads the chosen libtorch into the process before TorchSharp's first use. CPU: <see cref="CpuLibTorchLocator"/> finds
/// it next to the app (TorchSharp's default probing loads it) or in the NuGet global packages folder or on the native
/// search path. Wherever it is not next to the app, and for CUDA, the libraries are dlopen'ed by absolute path in
/// dependency order, so that TorchSharp's later load-by-name ("torch_cpu", "LibTorchSharp") binds to them.
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
        .. CpuLocators(),
    ];

    /// <summary>The CPU libtorch of this platform (none where no libtorch-cpu package is served).</summary>
    public static IReadOnlyList<IBackendLocator> CpuLocators() => CpuLibTorchLocator.ForThisProcess() is { } cpu ? [cpu] : [];

    /// <summary>The CPU libtorch for an app (SlimLLM.Runtime): loaded once; a no-op when a backend is loaded already.</summary>
    public static LoadedBackend EnsureCpu()
    {
        lock (Gate) return Current ?? Load(BackendChoice.Cpu, CpuLocators());
    }

    /// <summary>Loads <paramref name="choice"/>; on failure throws a SlimLLMException that says how to install the backend or use the CPU.</summary>
    public static LoadedBackend Load(BackendChoice choice, IReadOnlyList<IBackendLocator> locators, INativeLibraryLoader? loader = null, Func<bool>? initializeCuda = null)
    {
        lock (Gate)
        {
            if (Current is not null && Current.Kind == choice.Kind) return Current;
            loader ??= new SystemNativeLibraryLoader();
            if (choice.Kind == BackendKind.Cpu) return Current = LoadCpu(locators, loader);

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
            if (loader is SystemNativeLibraryLoader) BindTorchSharpImports(location.LoadOrder[^1]);
            if (!initializeCuda())
                throw new SlimLLMException(location.Folder, "the CUDA libtorch backend loaded, but libtorch sees no usable GPU (torch.cuda.is_available() is false).",
                    "Check the NVIDIA driver and CUDA_VISIBLE_DEVICES (nvidia-smi must list a GPU), or use device: cpu.");
            return Current = new LoadedBackend(BackendKind.Cuda, location.FoundBy, location.LoadOrder);
        }
    }

    private static LoadedBackend LoadCpu(IReadOnlyList<IBackendLocator> locators, INativeLibraryLoader loader)
    {
        var location = locators.Select(l => l.Locate(BackendChoice.Cpu)).FirstOrDefault(l => l is not null)
            ?? throw new SlimLLMException(null, $"libtorch {LibTorchLayout.LibTorchVersion} (CPU) was not found: {CpuNotFound()}.", CpuFix);
        if (location.LoadOrder.Count == 0) return new LoadedBackend(BackendKind.Cpu, location.FoundBy, []); // TorchSharp's default probing finds it
        if (OperatingSystem.IsWindows()) // a DLL's own dependencies (e.g. libiomp5md.dll) are looked for on PATH, not beside it
            Environment.SetEnvironmentVariable("PATH", location.Folder + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"));
        foreach (var file in location.LoadOrder)
        {
            if (!loader.TryLoad(file, out var error))
                throw new SlimLLMException(file, $"libtorch (CPU) could not be loaded: {error}",
                    error?.Contains("GLIBCXX", StringComparison.Ordinal) == true
                        ? $"Install libstdc++ from GCC 13 or newer (it must have {LibstdcxxReport.Required}); slimllm doctor shows what this system has."
                        : "Delete that package folder and run slimllm backend install cpu again; slimllm doctor shows what is missing.");
        }
        if (loader is SystemNativeLibraryLoader) BindTorchSharpImports(location.LoadOrder[^1]);
        return new LoadedBackend(BackendKind.Cpu, location.FoundBy, location.LoadOrder);
    }

    private static string CpuNotFound() => NativePlatform.Current is { } p
        ? $"not next to the app, no {p.CpuPackageId} {LibTorchLayout.LibTorchVersion} in the NuGet global packages folder ({NuGetCudaPackageLocator.DefaultPackagesRoot()}), none on {p.SearchPathVariable}"
        : $"TorchSharp's libtorch packages are served for {string.Join(", ", NativePlatform.Served.Select(s => s.Rid))} only, not for this {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}";

    public static string CpuFix => NativePlatform.Current is { } p
        ? $"Run slimllm backend install cpu (downloads {p.CpuPackageId} {LibTorchLayout.LibTorchVersion} into the NuGet global packages folder, once per machine), or add the package to the app (dotnet add package {p.CpuPackageId} --version {LibTorchLayout.LibTorchVersion})."
        : "Run on one of those platforms.";

    /// <summary>
    /// TorchSharp's P/Invokes name "LibTorchSharp"; bind them to the copy loaded above rather than letting probing pick
    /// the tool's CPU-build neighbour of the same name (two libtorch_cpu.so in one process register every operator twice).
    /// </summary>
    private static void BindTorchSharpImports(string sharp)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) =>
                name is "LibTorchSharp" or "libLibTorchSharp" || name == Path.GetFileName(sharp) ? NativeLibrary.Load(sharp) : IntPtr.Zero);
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
