namespace SlimLLM.Compute.NativeBackend;

/// <summary>The native files a CUDA libtorch folder must hold, in the order they are loaded (each after what it links to).</summary>
public static class LibTorchLayout
{
    public const string LibTorchVersion = "2.10.0";
    public const string CudaPackageId = "libtorch-cuda-12.8-linux-x64";
    public const string LibTorchSharp = "libLibTorchSharp.so";

    /// <summary>libtorch's own libraries: required in a CUDA folder. cudart/cublas/cudnn are found by libtorch's RPATH ($ORIGIN).</summary>
    public static IReadOnlyList<string> CudaLibraries { get; } =
        ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>Where the tool's own libLibTorchSharp.so is: next to it (self-contained/RID build) or under runtimes/linux-x64/native (portable build).</summary>
    public static string ToolNativeFolder(string? baseDirectory = null)
    {
        baseDirectory ??= AppContext.BaseDirectory;
        var rid = Path.Combine(baseDirectory, "runtimes", "linux-x64", "native");
        return File.Exists(Path.Combine(rid, LibTorchSharp)) ? rid : baseDirectory;
    }

    /// <summary>The files missing from <paramref name="folder"/> (LibTorchSharp may instead come from the tool's own folder).</summary>
    public static List<string> Missing(string folder, string? fallbackLibTorchSharpFolder)
    {
        var missing = CudaLibraries.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (!File.Exists(Path.Combine(folder, LibTorchSharp)) &&
            (fallbackLibTorchSharpFolder is null || !File.Exists(Path.Combine(fallbackLibTorchSharpFolder, LibTorchSharp))))
            missing.Add(LibTorchSharp);
        return missing;
    }
}
