using System.Text.Json;
using SlimLLM.Tests.Support;
using static SlimLLM.Tests.Compute.Install.CudaTestFeed;

namespace SlimLLM.Tests.Compute.Install;

/// <summary>The real tool: <c>slimllm backend install cuda</c> from a folder feed, and <c>slimllm backend status</c> with nothing installed.</summary>
public sealed class BackendCommandTests : IDisposable
{
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-backend-cli");

    public void Dispose() => _temp.Dispose();

    private string Packages => _temp.File("global-packages");
    private string Cache => _temp.File("cache");

    private ToolResult Slimllm(params string[] args) =>
        ToolRunner.RunIn(_temp.Path, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Packages, [SlimLLM.Compute.NativeBackend.BackendChoice.CudaFolderVariable] = "" }, args);

    [Fact]
    public void Install_from_a_feed_then_again_downloads_nothing()
    {
        var feed = new CudaTestFeed(_temp.File("feed"));
        var bytes = Closure.Sum(id => new FileInfo(feed.Nupkg(id)).Length);
        var consolidated = Path.Combine(Cache, "backends", "libtorch-cuda-12.8-2.10.0");

        var first = Slimllm("backend", "install", "cuda", "--source", feed.Folder, "--cache-dir", Cache);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal($"libtorch-cuda-12.8-linux-x64 2.10.0: 6 packages in {Packages}, 6 downloaded ({SlimLLM.Caching.CacheMaintenance.Format(bytes)}), 0 already there\n" +
                     $"cuda backend: {consolidated}\n" +
                     $"To use it: export SLIMLLM_LIBTORCH_CUDA={consolidated} (or pass --libtorch with that folder); check with: slimllm backend status\n", first.Stdout);
        Assert.Contains($"Installed {Part2} 2.10.0 ({new FileInfo(feed.Nupkg(Part2)).Length} bytes) from {feed.Folder}.", first.Stderr);
        Assert.Equal(TorchCudaSha256, SlimLLM.Compute.NativeBackend.FragmentStitcher.Hash(Path.Combine(consolidated, "libtorch_cuda.so")));

        var second = Slimllm("backend", "install", "cuda", "--source", feed.Folder, "--cache-dir", Cache, "--json");

        Assert.True(second.ExitCode == 0, second.Stderr);
        var json = JsonDocument.Parse(second.Stdout).RootElement;
        Assert.Equal((0, 0L), (json.GetProperty("downloaded").GetInt32(), json.GetProperty("downloaded_bytes").GetInt64()));
        Assert.Equal(Closure, json.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal(consolidated, json.GetProperty("backend_folder").GetString());
        Assert.DoesNotContain("download", second.Stderr);
    }

    [Fact]
    public void Install_refuses_another_version_and_another_backend_with_exit_code_2()
    {
        var version = Slimllm("backend", "install", "cuda", "--version", "2.9.0");
        Assert.Equal(2, version.ExitCode);
        Assert.Equal("error: nuget:libtorch-cuda-12.8-linux-x64@2.9.0: this slimllm runs libtorch 2.10.0 only (TorchSharp 0.107 is built against it), not 2.9.0. " +
                     "Omit --version, or pass --version 2.10.0.\n", version.Stderr);

        var rocm = Slimllm("backend", "install", "rocm");
        Assert.Equal(2, rocm.ExitCode);
        Assert.StartsWith("error: Argument 'rocm' not recognized. Must be one of:", rocm.Stderr);
    }

    [Fact]
    public void Status_with_no_cuda_backend_shows_cpu_and_the_install_command()
    {
        var r = Slimllm("backend", "status", "--cache-dir", Cache, "--json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var checks = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
        Assert.Equal(["libstdc++", "libtorch", "cuda"], checks.Keys);
        Assert.Equal($"cpu (libtorch-cpu-linux-x64 2.10.0 next to the app ({Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")}))", checks["libtorch"].GetProperty("detail").GetString());
        Assert.Equal("MISSING", checks["cuda"].GetProperty("status").GetString());
        Assert.StartsWith("Install the CUDA backend: run slimllm backend install cuda", checks["cuda"].GetProperty("fix").GetString());
    }
}
