using SlimLLM.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Compute;

/// <summary>Where tensors live and in which dtype the model computes: chosen once, here, and passed down.</summary>
public sealed record ComputeDevice(Device Device, ScalarType DType, string Reason)
{
    public bool IsCuda => Device.type == DeviceType.CUDA;

    /// <summary>
    /// Resolves "auto", "cpu", "cuda" or "cuda:N". On CPU the model computes in float32 (fp16 matmul is extremely slow
    /// on CPU and bf16 loses accuracy); on CUDA in the checkpoint's dtype.
    /// </summary>
    public static ComputeDevice Resolve(string? spec, string checkpointDtype = "float32", Func<bool>? cudaAvailable = null, Func<int>? cudaDeviceCount = null)
    {
        spec = string.IsNullOrWhiteSpace(spec) ? "auto" : spec.Trim().ToLowerInvariant();
        cudaAvailable ??= () => torch.cuda.is_available();
        cudaDeviceCount ??= () => torch.cuda.device_count();
        if (spec == "cpu")
            return new ComputeDevice(CPU, ScalarType.Float32, "cpu requested");
        if (spec == "auto")
        {
            return cudaAvailable()
                ? new ComputeDevice(new Device(DeviceType.CUDA, 0), GpuDtype(checkpointDtype), "auto: CUDA libtorch and a GPU found")
                : new ComputeDevice(CPU, ScalarType.Float32, "auto: no CUDA libtorch or no GPU, using the CPU");
        }
        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (spec.Length > 5 && !int.TryParse(spec.AsSpan(5), out index))
                throw new SlimLLMException(null, $"device '{spec}' is not valid.", "Use auto, cpu, cuda or cuda:N.");
            if (!cudaAvailable())
                throw new SlimLLMException(null, $"device '{spec}' was requested but CUDA is not available (no CUDA libtorch backend loaded, or no GPU).",
                    "Install the CUDA backend (slimllm backend install cuda prints its folder) and point SLIMLLM_LIBTORCH_CUDA or --libtorch at it, or at a CUDA libtorch (slimllm doctor shows what is missing); or use device: auto or cpu.");
            int n = cudaDeviceCount();
            if (index >= n)
                throw new SlimLLMException(null, $"device '{spec}' was requested but only {n} GPU(s) are visible.", $"Use cuda:0..cuda:{n - 1}.");
            return new ComputeDevice(new Device(DeviceType.CUDA, index), GpuDtype(checkpointDtype), $"{spec} requested");
        }
        throw new SlimLLMException(null, $"device '{spec}' is not valid.", "Use auto, cpu, cuda or cuda:N.");
    }

    private static ScalarType GpuDtype(string checkpointDtype) => checkpointDtype switch
    {
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => ScalarType.Float32,
    };
}
