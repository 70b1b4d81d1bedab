using SlimLLM.Compute.Install;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;
using SlimLLM.Tests.Sources;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Compute.Install;

/// <summary><c>slimllm backend install cpu</c> (and the tool's first run on a machine without libtorch) against a folder feed of fake packages.</summary>
public sealed class CpuBackendInstallerTests : IDisposable
{
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-cpu-install");

    public void Dispose() => _temp.Dispose();

    private string Packages => _temp.File("global-packages");

    private InstalledPackage Install(NativePlatform platform, string? version = null) =>
        CpuBackendInstaller.Install(platform, new CudaBackendInstallOptions
        {
            PackagesRoot = Packages, CacheRoot = _temp.File("cache"), Source = _temp.File("feed"), ConfigRoot = _temp.Path, Version = version,
        });

    [Theory]
    [InlineData("linux-x64")]
    [InlineData("win-x64")]
    [InlineData("osx-arm64")]
    public void Installs_the_platforms_package_as_restore_lays_it_out_where_the_locator_finds_it_once(string rid)
    {
        var platform = NativePlatform.Served.Single(p => p.Rid == rid);
        TestPackages.Build(_temp.File("feed"), "2.10.0",
            [.. platform.CpuLibraries.Select(l => ($"runtimes/{rid}/native/{l}", "stand-in"u8.ToArray()))], platform.CpuPackageId);

        var first = Install(platform);
        Assert.Equal(_temp.File("feed"), first.DownloadedFrom);
        Assert.Equal(Path.Combine(Packages, platform.CpuPackageId, "2.10.0"), first.Folder);
        Assert.True(File.Exists(Path.Combine(first.Folder, ".nupkg.metadata")));
        Assert.True(File.Exists(Path.Combine(first.Folder, $"{platform.CpuPackageId}.2.10.0.nupkg.sha512")));

        var app = _temp.File("app");
        Directory.CreateDirectory(Path.Combine(app, "runtimes", rid, "native"));
        File.WriteAllText(Path.Combine(app, "runtimes", rid, "native", platform.LibTorchSharp), "");
        var located = new CpuLibTorchLocator(platform, app, Packages, _ => null).Locate(BackendChoice.Cpu)!;
        Assert.Equal(platform.PackageNativeFolder(first.Folder), located.Folder);

        var second = Install(platform);
        Assert.Null(second.DownloadedFrom); // already there: nothing downloaded, no feed read
    }

    [Fact]
    public async Task An_install_waits_for_one_already_running_then_finds_the_package_there()
    {
        var platform = NativePlatform.LinuxX64;
        TestPackages.Build(_temp.File("feed"), "2.10.0", [.. platform.CpuLibraries.Select(l => ($"runtimes/linux-x64/native/{l}", "stand-in"u8.ToArray()))], platform.CpuPackageId);
        var folder = Path.Combine(Packages, platform.CpuPackageId, "2.10.0");
        Task<InstalledPackage> waiting;
        using (SlimLLM.Output.OutputLock.Acquire(folder, SlimLLM.Progress.NullProgress.Instance)) // another process installing
        {
            waiting = Task.Run(() => Install(platform));
            Assert.NotSame(waiting, await Task.WhenAny(waiting, Task.Delay(800))); // it waits for the lock
            // The other install finishes under its lock.
            var nupkg = Path.Combine(_temp.File("feed"), $"{platform.CpuPackageId}.2.10.0.nupkg");
            await new GlobalPackagesFolder(Packages).InstallAsync(platform.CpuPackageId, NuGet.Versioning.NuGetVersion.Parse("2.10.0"),
                path => { File.Copy(nupkg, path); return Task.FromResult("the other install"); });
        }
        var installed = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(installed.DownloadedFrom); // found it there: nothing downloaded twice
    }

    [Fact]
    public void A_feed_without_the_package_is_one_error_that_says_where_libtorch_can_come_from()
    {
        Directory.CreateDirectory(_temp.File("feed"));
        var e = Assert.Throws<SlimLLMException>(() => Install(NativePlatform.LinuxX64));
        Assert.Equal("nuget:libtorch-cpu-linux-x64@2.10.0", e.File);
        Assert.StartsWith($"no feed has libtorch-cpu-linux-x64 2.10.0 (tried {_temp.File("feed")})", e.Cause);
        Assert.StartsWith("Add a feed that serves TorchSharp's libtorch packages", e.Fix);
    }
}
