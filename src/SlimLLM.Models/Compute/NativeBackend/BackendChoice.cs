namespace SlimLLM.Compute.NativeBackend;

public enum BackendKind { Cpu, Cuda }

/// <summary>Which libtorch the process loads, and (for CUDA) the folder the user named, if any.</summary>
public sealed record BackendChoice(BackendKind Kind, string? Folder = null)
{
    public const string CudaFolderVariable = "SLIMLLM_LIBTORCH_CUDA";

    public static BackendChoice Cpu { get; } = new(BackendKind.Cpu);

    /// <summary>CUDA from <paramref name="folder"/>; an empty or blank folder means "not named" (search the NuGet packages).</summary>
    public static BackendChoice Cuda(string? folder) => new(BackendKind.Cuda, string.IsNullOrWhiteSpace(folder) ? null : folder);

    /// <summary>
    /// CUDA when the user named a libtorch folder (<c>--libtorch DIR</c>, else <c>SLIMLLM_LIBTORCH_CUDA</c>) or asked
    /// for a cuda device; CPU otherwise. "auto" with no folder stays on the default probing (which finds CUDA only
    /// when the tool was built with the CUDA packages).
    /// </summary>
    public static BackendChoice From(string? deviceSpec, string? libtorchOption, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var folder = string.IsNullOrWhiteSpace(libtorchOption) ? environment(CudaFolderVariable) : libtorchOption;
        if (string.IsNullOrWhiteSpace(folder)) folder = null;
        var spec = (deviceSpec ?? "auto").Trim().ToLowerInvariant();
        if (spec == "cpu") return Cpu;
        if (spec.StartsWith("cuda", StringComparison.Ordinal) || folder is not null) return new BackendChoice(BackendKind.Cuda, folder);
        return Cpu;
    }
}
