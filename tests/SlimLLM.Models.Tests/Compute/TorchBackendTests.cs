using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;
using Xunit;

namespace SlimLLM.Tests.Compute;

[Collection(nameof(TorchBackendTests))] // TorchBackend.Current is process state
public class TorchBackendTests
{
    private const string Fix = "Install the CUDA backend: run slimllm backend install cuda (downloads libtorch-cuda-12.8-linux-x64 2.10.0, see slimllm backend install --help) " +
                               "and point SLIMLLM_LIBTORCH_CUDA (or --libtorch) at the folder it prints, or at the lib folder of the libtorch 2.10.0 cu128 zip; or use device: cpu.";

    [Fact]
    public void Named_folder_missing_files_lists_each_one()
    {
        using var lib = new FakeLibTorch("libc10.so", "libtorch_cpu.so");
        using var tool = new FakeLibTorch();
        var e = Assert.Throws<SlimLLMException>(() => new UserFolderLocator(tool.Root).Locate(new BackendChoice(BackendKind.Cuda, lib.Root)));
        Assert.Equal($"{lib.Root}: the CUDA libtorch folder lacks libc10_cuda.so, libtorch_cuda.so, libtorch.so, libLibTorchSharp.so. {Fix}", e.Message);
    }

    [Fact]
    public void Named_folder_that_does_not_exist_is_one_error_with_the_fix()
    {
        var missing = Path.Combine(Path.GetTempPath(), "slimllm-no-such-libtorch");
        var e = Assert.Throws<SlimLLMException>(() => new UserFolderLocator().Locate(new BackendChoice(BackendKind.Cuda, missing)));
        Assert.Equal($"{missing}: the CUDA libtorch folder does not exist. {Fix}", e.Message);
    }

    [Fact]
    public void Named_folder_finds_lib_subfolder_and_falls_back_to_the_tools_LibTorchSharp()
    {
        using var lib = new FakeLibTorch(LibTorchLayout.CudaLibraries.Select(f => "libtorch/lib/" + f).ToArray());
        using var tool = new FakeLibTorch(LibTorchLayout.LibTorchSharp);
        var loc = new UserFolderLocator(tool.Root).Locate(new BackendChoice(BackendKind.Cuda, lib.Root))!;
        var libDir = Path.Combine(lib.Root, "libtorch", "lib");
        Assert.Equal(libDir, loc.Folder);
        Assert.Equal(["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"], loc.LoadOrder.Take(5).Select(Path.GetFileName));
        Assert.All(loc.LoadOrder.Take(5), p => Assert.Equal(libDir, Path.GetDirectoryName(p)));
        Assert.Equal(Path.Combine(tool.Root, LibTorchLayout.LibTorchSharp), loc.LoadOrder[5]);
    }

    [Fact]
    public void Cuda_load_dlopens_in_dependency_order_then_initialises_cuda()
    {
        using var lib = new FakeLibTorch(FakeLibTorch.AllFiles());
        var loader = new RecordingLoader();
        int initialised = 0;
        TorchBackend.ResetForTests();
        try
        {
            var loaded = TorchBackend.Load(new BackendChoice(BackendKind.Cuda, lib.Root), [new UserFolderLocator()], loader, () => { initialised++; return true; });
            Assert.Equal(BackendKind.Cuda, loaded.Kind);
            Assert.Equal(FakeLibTorch.AllFiles().Select(f => Path.Combine(lib.Root, f)), loader.Loaded);
            Assert.Equal(1, initialised);
            Assert.Same(loaded, TorchBackend.Load(new BackendChoice(BackendKind.Cuda, lib.Root), [new UserFolderLocator()], loader, () => { initialised++; return true; }));
            Assert.Equal(1, initialised); // loaded once per process
        }
        finally { TorchBackend.ResetForTests(); }
    }

    [Fact]
    public void Cuda_requested_without_any_backend_gives_the_exact_error()
    {
        TorchBackend.ResetForTests();
        using var emptyPackages = new FakeLibTorch();
        var e = Assert.Throws<SlimLLMException>(() => TorchBackend.Load(new BackendChoice(BackendKind.Cuda),
            [new UserFolderLocator(), new NuGetCudaPackageLocator(emptyPackages.Root, Path.Combine(emptyPackages.Root, "out"))], new RecordingLoader(), () => true));
        Assert.Equal("device cuda needs the CUDA libtorch backend, but none was found (SLIMLLM_LIBTORCH_CUDA is not set, no --libtorch, and no libtorch-cuda-12.8-linux-x64 2.10.0 in the NuGet global packages folder). " + Fix, e.Message);
        Assert.Null(TorchBackend.Current);
    }

    [Fact]
    public void A_library_that_fails_to_load_is_named_with_the_loader_error()
    {
        TorchBackend.ResetForTests();
        using var lib = new FakeLibTorch(FakeLibTorch.AllFiles());
        var failing = Path.Combine(lib.Root, "libtorch_cuda.so");
        var e = Assert.Throws<SlimLLMException>(() => TorchBackend.Load(new BackendChoice(BackendKind.Cuda, lib.Root), [new UserFolderLocator()], new RecordingLoader("libtorch_cuda.so"), () => true));
        Assert.Equal(failing, e.File);
        Assert.Equal($"the CUDA libtorch backend could not be loaded: {failing}: libcudart.so.12: cannot open shared object file: No such file or directory", e.Cause);
        Assert.StartsWith("Check that the NVIDIA driver is installed (nvidia-smi)", e.Fix);
    }

    [Fact]
    public void Loaded_backend_without_a_gpu_fails_rather_than_falling_back()
    {
        TorchBackend.ResetForTests();
        using var lib = new FakeLibTorch(FakeLibTorch.AllFiles());
        var e = Assert.Throws<SlimLLMException>(() => TorchBackend.Load(new BackendChoice(BackendKind.Cuda, lib.Root), [new UserFolderLocator()], new RecordingLoader(), () => false));
        Assert.Equal($"{lib.Root}: the CUDA libtorch backend loaded, but libtorch sees no usable GPU (torch.cuda.is_available() is false). " +
                     "Check the NVIDIA driver and CUDA_VISIBLE_DEVICES (nvidia-smi must list a GPU), or use device: cpu.", e.Message);
        Assert.Null(TorchBackend.Current);
    }

    [Fact]
    public void NuGet_packages_are_stitched_and_consolidated_into_one_folder()
    {
        // Head package holds most libraries; a split package holds libtorch_cuda.so as primary + one fragment.
        const string v = "2.10.0";
        var native = "runtimes/linux-x64/native/";
        using var pkgs = new FakeLibTorch(
            $"libtorch-cuda-12.8-linux-x64/{v}/{native}libc10.so", $"libtorch-cuda-12.8-linux-x64/{v}/{native}libc10_cuda.so",
            $"libtorch-cuda-12.8-linux-x64-part1/{v}/{native}libtorch_cpu.so", $"libtorch-cuda-12.8-linux-x64-part1/{v}/{native}libtorch.so");
        var primary = Path.Combine(pkgs.Root, $"libtorch-cuda-12.8-linux-x64-part2-primary/{v}/{native}libtorch_cuda.so");
        FragmentStitcherTests.WriteSplit(primary, [[1, 2, 3], [4, 5]]);
        using var tool = new FakeLibTorch(LibTorchLayout.LibTorchSharp);
        var outDir = Path.Combine(pkgs.Root, "consolidated");
        var loc = new NuGetCudaPackageLocator(pkgs.Root, outDir, tool.Root).Locate(new BackendChoice(BackendKind.Cuda))!;
        Assert.Equal(outDir, loc.Folder);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, File.ReadAllBytes(Path.Combine(outDir, "libtorch_cuda.so")));
        Assert.False(File.Exists(Path.Combine(outDir, "libtorch_cuda.so.sha")));
        Assert.Equal(Path.Combine(tool.Root, LibTorchLayout.LibTorchSharp), loc.LoadOrder[^1]);
    }
}
