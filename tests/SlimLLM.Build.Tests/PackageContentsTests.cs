using System.IO.Compression;

namespace SlimLLM.Build.Tests;

/// <summary>
/// What the packed packages hold: no libtorch (the tool and the runtime find the one libtorch-cpu-RID package restored on
/// the machine), no natives nothing loads, and TorchSharp's own LibTorchSharp for each platform a libtorch package is
/// served for. Prints every package's packed and unpacked size.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PackageFeedCollection.Name)]
public sealed class PackageContentsTests(PackageFeedFixture feed, ITestOutputHelper log)
{
    /// <summary>libtorch's own libraries (a second copy of libtorch), and the natives nothing loads (Python bindings, test backends, SkiaSharp's).</summary>
    private static readonly System.Text.RegularExpressions.Regex LibTorchOrDead = new(
        @"^(lib)?(torch|torch_cpu|c10|shm|torch_global_deps|gomp-.*|torch_python|torchbind_test|nnapi_backend|jitbackend_test|backend_with_compiler|aoti_custom_ops)\.(so|dll|dylib)(\.\d+)?$|^libSkiaSharp\.");

    private List<ZipArchiveEntry> Entries(string id, out ZipArchive zip)
    {
        var path = Path.Combine(feed.Feed, $"{id}.{feed.Version}.nupkg");
        zip = ZipFile.OpenRead(path);
        var entries = zip.Entries.ToList();
        log.WriteLine($"{id}: {new FileInfo(path).Length:N0} bytes packed, {entries.Sum(e => e.Length):N0} unpacked, {entries.Count} files");
        foreach (var e in entries.Where(e => e.FullName.Contains("/native/"))) log.WriteLine($"  {e.FullName} {e.Length:N0}");
        return entries;
    }

    [Theory]
    [InlineData("SlimLLM.Tool", "tools/net10.0/any/")]
    [InlineData("SlimLLM.Build", "tools/slimllm/")]
    public void The_tool_carries_no_libtorch_no_dead_natives_and_LibTorchSharp_for_each_served_platform(string id, string toolFolder)
    {
        var entries = Entries(id, out var zip);
        using (zip)
        {
            var natives = entries.Where(e => e.FullName.Contains("/native/")).Select(e => e.FullName[toolFolder.Length..]).Order().ToList();
            Assert.Equal([
                "runtimes/linux-x64/native/libhf_tokenizers.so", // Tokenizers.DotNet's native part is served for linux-x64 only
                "runtimes/linux-x64/native/libLibTorchSharp.so",
                "runtimes/osx-arm64/native/libLibTorchSharp.dylib",
                "runtimes/win-arm64/native/LibTorchSharp.dll",
                "runtimes/win-x64/native/LibTorchSharp.dll",
            ], natives);
            Assert.DoesNotContain(entries, e => LibTorchOrDead.IsMatch(Path.GetFileName(e.FullName)));
            // The deps.json names no libtorch package, so the host never looks for one beside the tool.
            using var deps = new StreamReader(zip.GetEntry(toolFolder + "slimllm.deps.json")!.Open());
            Assert.DoesNotContain("libtorch-cpu", deps.ReadToEnd());
            Assert.True(entries.Sum(e => e.Length) < 40_000_000, $"{id} unpacks to {entries.Sum(e => e.Length):N0} bytes");
        }
    }

    [Theory]
    [InlineData("SlimLLM.Tool", "tools/net10.0/any/")]
    [InlineData("SlimLLM.Build", "tools/slimllm/")]
    [InlineData("SlimLLM.Runtime", null)]
    [InlineData("SlimLLM.Models", null)]
    public void Every_package_has_the_MIT_licence_expression_its_readme_and_no_placeholder_url(string id, string? toolFolder)
    {
        var entries = Entries(id, out var zip);
        using (zip)
        {
            using var nuspecReader = new StreamReader(entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
            var nuspec = nuspecReader.ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("<readme>README.md</readme>", nuspec);
            Assert.DoesNotContain("example.invalid", nuspec);
            using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
            Assert.StartsWith($"# {id}\n", readme.ReadToEnd());
            if (toolFolder is null) return;
            // The manifest's schema and reference travel with the tool, where `slimllm init`'s modeline points.
            using var schema = zip.GetEntry(toolFolder + "slimllm.schema.json")!.Open();
            Assert.Equal("urn:slimllm-build:schema:slimllm.yaml", System.Text.Json.JsonDocument.Parse(schema).RootElement.GetProperty("$id").GetString());
            Assert.NotNull(zip.GetEntry(toolFolder + "manifest-reference.md"));
        }
    }

    [Fact]
    public void The_runtime_depends_on_no_libtorch_package_and_ships_no_natives()
    {
        foreach (var id in new[] { "SlimLLM.Runtime", "SlimLLM.Models" })
        {
            var entries = Entries(id, out var zip);
            using (zip)
            {
                Assert.DoesNotContain(entries, e => e.FullName.Contains("/native/"));
                using var nuspec = new StreamReader(entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
                Assert.DoesNotContain("<dependency id=\"libtorch", nuspec.ReadToEnd());
            }
        }
    }
}
