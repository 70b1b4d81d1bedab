using System.Security.Cryptography;
using System.Text.Json;
using SlimLLM.Compute.Install;
using SlimLLM.Compute.NativeBackend;
using SlimLLM.Errors;
using SlimLLM.Progress;
using SlimLLM.Tests.Support;
using static SlimLLM.Tests.Compute.Install.CudaTestFeed;

namespace SlimLLM.Tests.Compute.Install;

public sealed class CudaBackendInstallerTests : IDisposable
{
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-cuda-install");

    public CudaBackendInstallerTests()
    {
        Directory.CreateDirectory(Tool);
        File.WriteAllBytes(Path.Combine(Tool, LibTorchLayout.LibTorchSharp), StandIn(LibTorchLayout.LibTorchSharp));
    }

    public void Dispose() => _temp.Dispose();

    private string Feed => _temp.File("feed");
    private string Packages => _temp.File("global-packages");
    private string Consolidated => Path.Combine(_temp.File("cache"), "backends", "libtorch-cuda-12.8-2.10.0");
    private string Tool => _temp.File("tool");
    private string PackageFolder(string id) => Path.Combine(Packages, id, PackageVersion);
    private string StitchedPrimary => Path.Combine(PackageFolder(Primary), "runtimes", "linux-x64", "native", "libtorch_cuda.so");

    private CudaBackendInstallResult Install(IProgressReporter? progress = null, string? source = null, string? version = null) =>
        CudaBackendInstaller.Install(new CudaBackendInstallOptions
        {
            PackagesRoot = Packages, CacheRoot = _temp.File("cache"), Source = source ?? Feed, ConfigRoot = _temp.Path, ToolFolder = Tool, Version = version,
        }, progress);

    [Fact]
    public void Install_restores_the_closure_as_restore_lays_it_out_and_stitches_libtorch_cuda()
    {
        var feed = new CudaTestFeed(Feed);
        var progress = new RecordingProgress();

        var result = Install(progress);

        Assert.Equal(Closure, result.Packages.Select(p => p.Id));
        Assert.Equal(6, result.Downloaded);
        foreach (var package in result.Packages)
        {
            var folder = PackageFolder(package.Id);
            var nupkg = File.ReadAllBytes(feed.Nupkg(package.Id));
            var sha512 = Convert.ToBase64String(SHA512.HashData(nupkg));
            Assert.Equal((folder, Feed, (long)nupkg.Length), (package.Folder, package.DownloadedFrom, package.DownloadedBytes));
            Assert.Equal(nupkg, File.ReadAllBytes(Path.Combine(folder, $"{package.Id}.{PackageVersion}.nupkg")));
            Assert.Equal(sha512, File.ReadAllText(Path.Combine(folder, $"{package.Id}.{PackageVersion}.nupkg.sha512")));
            var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ".nupkg.metadata"))).RootElement;
            Assert.Equal((2, sha512, Feed), (metadata.GetProperty("version").GetInt32(), metadata.GetProperty("contentHash").GetString(), metadata.GetProperty("source").GetString()));
            Assert.True(File.Exists(Path.Combine(folder, $"{package.Id}.nuspec")));
            var downloads = progress.Reports.Where(r => r.Phase == $"download {package.Id} {PackageVersion}").ToList();
            Assert.Equal((nupkg.Length, nupkg.Length), (downloads[^1].Done, downloads[^1].Total)); // the last report: all bytes, size now known
            Assert.Equal(0, downloads[0].Total); // while downloading the size is not known
        }
        // Nothing else under the packages folder: no temporary download or extraction folder is left behind.
        Assert.Equal(Closure.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(Packages).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(Closure, id => Assert.Equal([PackageVersion], Directory.GetFileSystemEntries(Path.Combine(Packages, id)).Select(Path.GetFileName)));

        Assert.Equal(TorchCuda, File.ReadAllBytes(StitchedPrimary));
        Assert.False(File.Exists(Path.Combine(PackageFolder(Fragment1), "fragments", "linux-x64", "native", "libtorch_cuda.so.fragment1")));
        Assert.False(File.Exists(Path.Combine(PackageFolder(Fragment2), "fragments", "linux-x64", "native", "libtorch_cuda.so.fragment2")));
        Assert.Equal(Consolidated, result.Backend.Folder);
        Assert.Equal([.. LibTorchLayout.CudaLibraries.Select(f => Path.Combine(Consolidated, f)), Path.Combine(Tool, LibTorchLayout.LibTorchSharp)], result.Backend.LoadOrder);
        Assert.Equal(["libc10.so", "libc10_cuda.so", "libtorch.so", "libtorch_cpu.so", "libtorch_cuda.so"], Directory.GetFiles(Consolidated).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(TorchCudaSha256, FragmentStitcher.Hash(Path.Combine(Consolidated, "libtorch_cuda.so")));
        Assert.All(Part1Libraries, l => Assert.Equal(StandIn(l), File.ReadAllBytes(Path.Combine(Consolidated, l))));
        // The folder works as SLIMLLM_LIBTORCH_CUDA / --libtorch, and doctor's package locator finds the same backend.
        Assert.Equal(result.Backend.LoadOrder, new UserFolderLocator(Tool).Locate(BackendChoice.Cuda(Consolidated))!.LoadOrder);
        Assert.Equal(result.Backend.LoadOrder, new NuGetCudaPackageLocator(Packages, Consolidated, Tool).Locate(BackendChoice.Cuda(null))!.LoadOrder);
    }

    [Fact]
    public void Second_install_downloads_nothing_and_contacts_no_feed()
    {
        new CudaTestFeed(Feed);
        var first = Install();
        Directory.Delete(Feed, recursive: true); // a download attempt would now fail: the --source folder is gone
        var progress = new RecordingProgress();

        var second = Install(progress, version: "2.10.0");

        Assert.Equal(Closure, second.Packages.Select(p => p.Id));
        Assert.Equal((0, 0L), (second.Downloaded, second.DownloadedBytes));
        Assert.All(second.Packages, p => Assert.Null(p.DownloadedFrom));
        Assert.Empty(progress.Reports);
        Assert.Equal(first.Backend.LoadOrder, second.Backend.LoadOrder);
        Assert.Equal(TorchCudaSha256, FragmentStitcher.Hash(Path.Combine(Consolidated, "libtorch_cuda.so")));
    }

    [Fact]
    public void A_package_folder_without_nupkg_metadata_is_incomplete_and_replaced()
    {
        new CudaTestFeed(Feed);
        Directory.CreateDirectory(PackageFolder(Part1));
        File.WriteAllText(Path.Combine(PackageFolder(Part1), "half-written.so"), "x");

        var result = Install();

        Assert.Equal(Feed, result.Packages.Single(p => p.Id == Part1).DownloadedFrom);
        Assert.False(File.Exists(Path.Combine(PackageFolder(Part1), "half-written.so")));
        Assert.True(File.Exists(Path.Combine(PackageFolder(Part1), ".nupkg.metadata")));
    }

    [Fact]
    public void A_corrupted_fragment_is_the_stitchers_error_naming_the_parts()
    {
        var bad = TorchCuda[5000..9000];
        bad[17] ^= 0xFF;
        new CudaTestFeed(Feed, fragment1: bad);
        var stitched = Convert.ToHexStringLower(SHA256.HashData([.. TorchCuda[..5000], .. bad, .. TorchCuda[9000..]]));

        var e = Assert.Throws<SlimLLMException>(() => Install());

        Assert.Equal(StitchedPrimary, e.File);
        Assert.Equal($"the file stitched from 3 parts has SHA-256 {stitched}, expected {TorchCudaSha256} (libtorch_cuda.so.sha); " +
                     "a part is corrupted or from another version (libtorch_cuda.so.fragment1, libtorch_cuda.so.fragment2).", e.Cause);
        Assert.Equal("Delete the libtorch-cuda-12.8-linux-x64* folders from the NuGet global packages folder and run slimllm backend install cuda again, or use device: cpu.", e.Fix);
        Assert.Equal(TorchCuda[..5000], File.ReadAllBytes(StitchedPrimary)); // the primary part is left as downloaded
    }

    [Theory]
    [InlineData(Head)]
    [InlineData(Fragment2)]
    public void A_package_no_feed_has_names_it_and_the_feeds_tried_and_a_rerun_fetches_only_what_is_missing(string missing)
    {
        new CudaTestFeed(Feed, omit: [missing]);

        var e = Assert.Throws<SlimLLMException>(() => Install());

        Assert.Equal($"nuget:{missing}@2.10.0", e.File);
        Assert.Equal($"no feed has {missing} 2.10.0 (tried {Feed}).", e.Cause);
        Assert.Equal("Add a feed that serves TorchSharp's CUDA packages (nuget.org: https://api.nuget.org/v3/index.json) with --source FEED or in NuGet.Config; " +
                     "or unpack the libtorch 2.10.0 cu128 zip and point --libtorch (or SLIMLLM_LIBTORCH_CUDA) at its lib folder.", e.Fix);
        Assert.False(Directory.Exists(PackageFolder(missing)));

        new CudaTestFeed(Feed);
        var retry = Install();
        Assert.Equal(missing == Head ? Closure : [Fragment2], retry.Packages.Where(p => p.DownloadedFrom is not null).Select(p => p.Id));
    }

    [Theory]
    [InlineData("../../evil.so")]
    [InlineData("runtimes/%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil.so")]
    public void A_zip_slip_entry_refuses_the_package_and_writes_nothing(string entry)
    {
        new CudaTestFeed(Feed, extraPart1Entry: (entry, "owned"u8.ToArray()));

        var e = Assert.Throws<SlimLLMException>(() => Install());

        Assert.Equal($"nuget:{Part1}@2.10.0", e.File);
        Assert.Equal($"entry '{entry}' would be extracted outside the package folder (path traversal); nothing was extracted.", e.Cause);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Packages, Part1))); // no package, no temporary folder
        Assert.Equal([Head, Part1], Directory.GetFileSystemEntries(Packages).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no stray download
        Assert.Empty(Directory.EnumerateFiles(_temp.Path, "evil.so", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_feed_answering_401_asks_for_credentials()
    {
        using var server = new UnauthorizedFeedServer();
        var url = server.BaseUri + "v3/index.json";

        var e = Assert.Throws<SlimLLMException>(() => Install(source: url));

        Assert.Equal($"nuget:{Head}@2.10.0", e.File);
        Assert.Equal($"the feed {url} refused access (HTTP 401 Unauthorized) while looking for {Head} 2.10.0.", e.Cause);
        Assert.Equal("Add credentials for this feed to NuGet.Config (packageSourceCredentials, or install its credential provider), then run again.", e.Fix);
        Assert.True(server.Requests > 0);
    }

    [Theory]
    [InlineData("2.9.0")]
    [InlineData("latest")]
    public void Only_libtorch_2_10_0_is_accepted(string version)
    {
        var e = Assert.Throws<SlimLLMException>(() => Install(version: version));
        Assert.Equal($"nuget:{Head}@{version}", e.File);
        Assert.Equal($"this slimllm runs libtorch 2.10.0 only (TorchSharp 0.107 is built against it), not {version}.", e.Cause);
        Assert.Equal("Omit --version, or pass --version 2.10.0.", e.Fix);
        Assert.False(Directory.Exists(Packages));
    }

    [Fact]
    public void Disk_full_is_recognised_from_a_real_ENOSPC()
    {
        if (!OperatingSystem.IsLinux()) return; // /dev/full: a device whose writes fail with ENOSPC
        var full = Assert.ThrowsAny<IOException>(() => File.WriteAllBytes("/dev/full", new byte[4096]));
        var missing = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(_temp.File("no-such-file")));
        Assert.True(CudaInstallErrors.IsDiskFull(full), full.Message);
        Assert.False(CudaInstallErrors.IsDiskFull(missing));
    }
}
