using SlimLLM.Errors;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>A CUDA libtorch folder the user named (<c>--libtorch DIR</c> or SLIMLLM_LIBTORCH_CUDA): a libtorch zip's <c>lib/</c>, a package's <c>runtimes/linux-x64/native</c>, or a flat folder.</summary>
public sealed class UserFolderLocator(string? toolFolder = null) : IBackendLocator
{
    private readonly string toolFolder = toolFolder ?? LibTorchLayout.ToolNativeFolder();

    public BackendLocation? Locate(BackendChoice choice)
    {
        if (choice.Kind != BackendKind.Cuda || string.IsNullOrWhiteSpace(choice.Folder)) return null;
        var root = Path.GetFullPath(choice.Folder);
        if (!Directory.Exists(root))
            throw new SlimLLMException(root, "the CUDA libtorch folder does not exist.", Fix);
        var folder = Candidates(root).FirstOrDefault(c => File.Exists(Path.Combine(c, "libtorch_cuda.so"))) ?? root;
        return Check(folder, toolFolder, $"folder {root} (--libtorch or {BackendChoice.CudaFolderVariable})");
    }

    internal static BackendLocation Check(string folder, string toolFolder, string foundBy)
    {
        var missing = LibTorchLayout.Missing(folder, toolFolder);
        if (missing.Count > 0)
            throw new SlimLLMException(folder, $"the CUDA libtorch folder lacks {string.Join(", ", missing)}.", Fix);
        var order = LibTorchLayout.CudaLibraries.Select(f => Path.Combine(folder, f)).ToList();
        var sharp = Path.Combine(folder, LibTorchLayout.LibTorchSharp);
        order.Add(File.Exists(sharp) ? sharp : Path.Combine(toolFolder, LibTorchLayout.LibTorchSharp));
        return new BackendLocation(BackendKind.Cuda, folder, order, foundBy);
    }

    private static IEnumerable<string> Candidates(string root) =>
        [root, Path.Combine(root, "lib"), Path.Combine(root, "libtorch", "lib"), Path.Combine(root, "runtimes", "linux-x64", "native")];

    public const string Fix =
        $"Install the CUDA backend: run slimllm backend install cuda (downloads {LibTorchLayout.CudaPackageId} {LibTorchLayout.LibTorchVersion}, see slimllm backend install --help) " +
        $"and point {BackendChoice.CudaFolderVariable} (or --libtorch) at the folder it prints, or at the lib folder of the libtorch {LibTorchLayout.LibTorchVersion} cu128 zip; or use device: cpu.";
}
