using System.Runtime.InteropServices;

namespace SlimLLM.Compute.NativeBackend;

/// <summary>
/// A platform that TorchSharp's CPU libtorch packages are served for (<c>libtorch-cpu-{Rid}</c>): its runtime identifier
/// and how it names native libraries. The managed parts of every SlimLLM package are the same on all of them; only
/// these names and the search-path variable differ.
/// </summary>
public sealed record NativePlatform(string Rid, string Prefix, string Extension, string SearchPathVariable)
{
    public static NativePlatform LinuxX64 { get; } = new("linux-x64", "lib", ".so", "LD_LIBRARY_PATH");
    public static NativePlatform WinX64 { get; } = new("win-x64", "", ".dll", "PATH");
    public static NativePlatform WinArm64 { get; } = new("win-arm64", "", ".dll", "PATH");
    public static NativePlatform OsxArm64 { get; } = new("osx-arm64", "lib", ".dylib", "DYLD_LIBRARY_PATH");

    public static IReadOnlyList<NativePlatform> Served { get; } = [LinuxX64, WinX64, WinArm64, OsxArm64];

    /// <summary>This process's platform, or null where no CPU libtorch package is served (e.g. linux-arm64, osx-x64).</summary>
    public static NativePlatform? Current { get; } = Detect(RuntimeInformation.ProcessArchitecture,
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "other");

    public static NativePlatform? Detect(Architecture architecture, string os) =>
        Served.FirstOrDefault(p => p.Rid == $"{os}-{architecture.ToString().ToLowerInvariant()}");

    public string CpuPackageId => "libtorch-cpu-" + Rid;

    public string FileName(string library) => Prefix + library + Extension;

    /// <summary>libtorch's CPU libraries in load order (each after what it links to): c10, torch_cpu, torch.</summary>
    public IReadOnlyList<string> CpuLibraries => [FileName("c10"), FileName("torch_cpu"), FileName("torch")];

    public string LibTorchSharp => FileName("LibTorchSharp");

    /// <summary>Where a package keeps this platform's natives: <c>runtimes/{rid}/native</c>.</summary>
    public string PackageNativeFolder(string packageRoot) => Path.Combine(packageRoot, "runtimes", Rid, "native");
}
