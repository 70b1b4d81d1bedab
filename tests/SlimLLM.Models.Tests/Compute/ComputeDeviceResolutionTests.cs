using SlimLLM.Compute;
using SlimLLM.Errors;
using TorchSharp;
using Xunit;

namespace SlimLLM.Tests.Compute;

public class ComputeDeviceResolutionTests
{
    [Theory]
    [InlineData("auto", false, 0, "bfloat16", DeviceType.CPU, -1, torch.ScalarType.Float32, "auto: no CUDA libtorch or no GPU, using the CPU")]
    [InlineData("auto", true, 2, "bfloat16", DeviceType.CUDA, 0, torch.ScalarType.BFloat16, "auto: CUDA libtorch and a GPU found")]
    [InlineData(null, true, 1, "float16", DeviceType.CUDA, 0, torch.ScalarType.Float16, "auto: CUDA libtorch and a GPU found")]
    [InlineData("cpu", true, 1, "bfloat16", DeviceType.CPU, -1, torch.ScalarType.Float32, "cpu requested")]
    [InlineData("CUDA", true, 1, "float32", DeviceType.CUDA, 0, torch.ScalarType.Float32, "cuda requested")]
    [InlineData("cuda:1", true, 2, "bfloat16", DeviceType.CUDA, 1, torch.ScalarType.BFloat16, "cuda:1 requested")]
    public void Resolves_each_spec_with_fake_availability(string? spec, bool available, int count, string dtype, DeviceType type, int index, torch.ScalarType expectedDtype, string reason)
    {
        var d = ComputeDevice.Resolve(spec, dtype, () => available, () => count);
        Assert.Equal(type, d.Device.type);
        Assert.Equal(index, d.Device.index);
        Assert.Equal(expectedDtype, d.DType);
        Assert.Equal(reason, d.Reason);
    }

    [Fact]
    public void Cuda_without_backend_fails_with_the_fix_instead_of_falling_back()
    {
        var e = Assert.Throws<SlimLLMException>(() => ComputeDevice.Resolve("cuda", "bfloat16", () => false, () => 0));
        Assert.Equal("device 'cuda' was requested but CUDA is not available (no CUDA libtorch backend loaded, or no GPU). " +
                     "Install the CUDA backend (slimllm backend install cuda prints its folder) and point SLIMLLM_LIBTORCH_CUDA or --libtorch at it, or at a CUDA libtorch (slimllm doctor shows what is missing); or use device: auto or cpu.", e.Message);
    }

    [Fact]
    public void Cuda_index_beyond_the_visible_gpus_names_the_valid_range()
    {
        var e = Assert.Throws<SlimLLMException>(() => ComputeDevice.Resolve("cuda:1", "bfloat16", () => true, () => 1));
        Assert.Equal("device 'cuda:1' was requested but only 1 GPU(s) are visible. Use cuda:0..cuda:0.", e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    public void Unknown_specs_are_rejected(string spec)
    {
        var e = Assert.Throws<SlimLLMException>(() => ComputeDevice.Resolve(spec, "float32", () => true, () => 1));
        Assert.Equal($"device '{spec}' is not valid. Use auto, cpu, cuda or cuda:N.", e.Message);
    }
}
