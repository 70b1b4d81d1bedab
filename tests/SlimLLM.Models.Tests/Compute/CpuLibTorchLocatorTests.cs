using System.Runtime.InteropServices;
using SlimLLM.Compute.NativeBackend;
using Xunit;

namespace SlimLLM.Tests.Compute;

/// <summary>
/// Where the CPU libtorch is found, on fakes of each platform's layout (only linux-x64 runs here: win-x64 and osx-arm64
/// are checked through the file names and folders restore and the TorchSharp package use there).
/// </summary>
[Collection(nameof(TorchBackendTests))] // TorchBackend.Current is process state
public class CpuLibTorchLocatorTests
{
    public static TheoryData<string, string[], string> Platforms => new()
    {
        { "linux-x64", ["libc10.so", "libtorch_cpu.so", "libtorch.so"], "libLibTorchSharp.so" },
        { "win-x64", ["c10.dll", "torch_cpu.dll", "torch.dll"], "LibTorchSharp.dll" },
        { "osx-arm64", ["libc10.dylib", "libtorch_cpu.dylib", "libtorch.dylib"], "libLibTorchSharp.dylib" },
    };

    private static NativePlatform Platform(string rid) => NativePlatform.Served.Single(p => p.Rid == rid);

    /// <summary>A restored libtorch-cpu-{rid} 2.10.0 in a packages folder, and an app (the tool) with TorchSharp's natives under runtimes/.</summary>
    private static FakeLibTorch Machine(string rid, string[] libraries, string sharp, bool complete = true) => new(
        [.. libraries.Select(l => $"packages/libtorch-cpu-{rid}/2.10.0/runtimes/{rid}/native/{l}"),
         .. complete ? [$"packages/libtorch-cpu-{rid}/2.10.0/.nupkg.metadata"] : Array.Empty<string>(),
         $"app/runtimes/{rid}/native/{sharp}"]);

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Finds_the_restored_package_and_loads_its_libraries_then_the_apps_LibTorchSharp(string rid, string[] libraries, string sharp)
    {
        using var m = Machine(rid, libraries, sharp);
        var loc = new CpuLibTorchLocator(Platform(rid), Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null).Locate(BackendChoice.Cpu)!;
        var natives = Path.Combine(m.Root, "packages", $"libtorch-cpu-{rid}", "2.10.0", "runtimes", rid, "native");
        Assert.Equal(natives, loc.Folder);
        Assert.Equal([.. libraries.Select(l => Path.Combine(natives, l)), Path.Combine(m.Root, "app", "runtimes", rid, "native", sharp)], loc.LoadOrder);
        Assert.Contains("NuGet global packages folder", loc.FoundBy);
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void A_package_without_restores_completion_marker_is_not_used(string rid, string[] libraries, string sharp)
    {
        using var m = Machine(rid, libraries, sharp, complete: false);
        Assert.Null(new CpuLibTorchLocator(Platform(rid), Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null).Locate(BackendChoice.Cpu));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Libtorch_next_to_the_app_is_left_to_TorchSharps_own_probing(string rid, string[] libraries, string sharp)
    {
        using var m = new FakeLibTorch([.. libraries.Select(l => $"app/runtimes/{rid}/native/{l}"), $"app/runtimes/{rid}/native/{sharp}"]);
        var loc = new CpuLibTorchLocator(Platform(rid), Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null).Locate(BackendChoice.Cpu)!;
        Assert.Empty(loc.LoadOrder);
        Assert.Equal(Path.Combine(m.Root, "app", "runtimes", rid, "native"), loc.Folder);
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Falls_back_to_the_native_search_path_and_to_the_restored_TorchSharp_package(string rid, string[] libraries, string sharp)
    {
        using var m = new FakeLibTorch([.. libraries.Select(l => "libtorch/lib/" + l), $"packages/torchsharp/0.107.0/runtimes/{rid}/native/{sharp}"]);
        var platform = Platform(rid);
        var lib = Path.Combine(m.Root, "libtorch", "lib");
        string? Env(string name) => name == platform.SearchPathVariable ? $"relative/ignored{Path.PathSeparator}{Path.Combine(m.Root, "none")}{Path.PathSeparator}{lib}" : null;
        var loc = new CpuLibTorchLocator(platform, Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), Env).Locate(BackendChoice.Cpu)!;
        Assert.Equal(lib, loc.Folder);
        Assert.Equal(Path.Combine(m.Root, "packages", "torchsharp", "0.107.0", "runtimes", rid, "native", sharp), loc.LoadOrder[^1]);
        Assert.Contains(platform.SearchPathVariable, loc.FoundBy);
    }

    [Fact]
    public void Platforms_without_a_served_libtorch_package_are_named_as_such()
    {
        Assert.Equal("linux-x64", NativePlatform.Detect(Architecture.X64, "linux")!.Rid);
        Assert.Equal("win-arm64", NativePlatform.Detect(Architecture.Arm64, "win")!.Rid);
        Assert.Equal("osx-arm64", NativePlatform.Detect(Architecture.Arm64, "osx")!.Rid);
        Assert.Null(NativePlatform.Detect(Architecture.X64, "osx")); // TorchSharp dropped Intel Macs after 0.102
        Assert.Null(NativePlatform.Detect(Architecture.Arm64, "linux"));
    }

    [Fact]
    public void Cpu_load_dlopens_the_located_libraries_in_order_once()
    {
        using var m = Machine("linux-x64", ["libc10.so", "libtorch_cpu.so", "libtorch.so"], "libLibTorchSharp.so");
        var locator = new CpuLibTorchLocator(NativePlatform.LinuxX64, Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null);
        var loader = new RecordingLoader();
        TorchBackend.ResetForTests();
        try
        {
            var loaded = TorchBackend.Load(BackendChoice.Cpu, [locator], loader);
            Assert.Equal(BackendKind.Cpu, loaded.Kind);
            Assert.Equal(["libc10.so", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so"], loader.Loaded.Select(Path.GetFileName));
            Assert.Same(loaded, TorchBackend.Load(BackendChoice.Cpu, [locator], loader));
            Assert.Equal(4, loader.Loaded.Count);
        }
        finally { TorchBackend.ResetForTests(); }
    }

    [Fact]
    public void A_library_that_fails_to_load_is_named_with_the_loaders_reason_and_a_fix_that_fits_it()
    {
        using var m = Machine("linux-x64", ["libc10.so", "libtorch_cpu.so", "libtorch.so"], "libLibTorchSharp.so");
        var locator = new CpuLibTorchLocator(NativePlatform.LinuxX64, Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null);
        TorchBackend.ResetForTests();
        try
        {
            // RecordingLoader fails with a missing-library reason: a broken package, to be installed again.
            var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => TorchBackend.Load(BackendChoice.Cpu, [locator], new RecordingLoader("libtorch_cpu.so")));
            Assert.EndsWith("libtorch_cpu.so", e.File);
            Assert.StartsWith("libtorch (CPU) could not be loaded: ", e.Cause);
            Assert.StartsWith("Delete that package folder and run slimllm backend install cpu again", e.Fix);
            Assert.Null(TorchBackend.Current);
        }
        finally { TorchBackend.ResetForTests(); }
    }

    [Fact]
    public void No_cpu_libtorch_anywhere_is_one_error_that_says_how_to_install_it()
    {
        using var m = new FakeLibTorch();
        var locator = new CpuLibTorchLocator(NativePlatform.LinuxX64, Path.Combine(m.Root, "app"), Path.Combine(m.Root, "packages"), _ => null);
        TorchBackend.ResetForTests();
        try
        {
            var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => TorchBackend.Load(BackendChoice.Cpu, [locator], new RecordingLoader()));
            Assert.StartsWith("libtorch 2.10.0 (CPU) was not found: not next to the app, no libtorch-cpu-", e.Message);
            Assert.Contains("Run slimllm backend install cpu (downloads libtorch-cpu-", e.Message);
        }
        finally { TorchBackend.ResetForTests(); }
    }
}
