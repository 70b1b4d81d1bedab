using System.Text.Json;
using SlimLLM.Tests.Support;
using Xunit;

namespace SlimLLM.Tests.Compute;

public class DoctorCommandTests
{
    private static Dictionary<string, JsonElement> Checks(string stdout) =>
        JsonDocument.Parse(stdout).RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());

    [Fact]
    public void Json_reports_libstdcxx_ok_and_cuda_missing_with_a_fix_on_this_machine()
    {
        var cache = Path.Combine(Path.GetTempPath(), "slimllm-doctor-" + Guid.NewGuid().ToString("N"));
        var r = ToolRunner.RunIn(null, new Dictionary<string, string> { ["SLIMLLM_LIBTORCH_CUDA"] = "", ["NUGET_PACKAGES"] = cache }, "doctor", "--json", "--cache-dir", cache);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var checks = Checks(r.Stdout);
        Assert.Equal(["os", "dotnet", "libstdc++", "torchsharp", "libtorch", "cuda", "gpu", "cache", "huggingface-cache"], checks.Keys);
        Assert.Equal("OK", checks["libstdc++"].GetProperty("status").GetString());
        Assert.Contains("has GLIBCXX_3.4.32", checks["libstdc++"].GetProperty("detail").GetString());
        Assert.Equal("0.107.0", checks["torchsharp"].GetProperty("detail").GetString());
        Assert.Equal($"cpu (libtorch-cpu-linux-x64 2.10.0 next to the app ({Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")}))", checks["libtorch"].GetProperty("detail").GetString());
        Assert.Equal("MISSING", checks["cuda"].GetProperty("status").GetString());
        Assert.StartsWith("Install the CUDA backend: run slimllm backend install cuda (downloads libtorch-cuda-12.8-linux-x64 2.10.0", checks["cuda"].GetProperty("fix").GetString());
        Assert.Equal($"{cache}: 0 entries, 0 B", checks["cache"].GetProperty("detail").GetString());
    }

    [Fact]
    public void Strict_exits_2_when_something_is_missing_and_names_the_broken_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "slimllm-doctor-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var r = ToolRunner.Run("doctor", "--strict", "--libtorch", folder);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains($"MISSING cuda               {folder}: the CUDA libtorch folder lacks libc10.so, libc10_cuda.so, libtorch_cpu.so, libtorch_cuda.so, libtorch.so.", r.Stdout);
            Assert.Contains("        fix: Install the CUDA backend:", r.Stdout);
        }
        finally { Directory.Delete(folder); }
    }
}
