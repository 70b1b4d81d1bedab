using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Manifest;

/// <summary>Hostile sizes in manifests and command lines end in one error line, not a crash or a destructive action.</summary>
public sealed class ManifestLimitsTests : IDisposable
{
    private readonly ManifestWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static void OneErrorLine(ToolResult r)
    {
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Model_name_of_300_characters_is_a_manifest_error()
    {
        var name = new string('a', 300);
        _ws.SingleError(ManifestWorkspace.Minimal.Replace("name: m", $"name: {name}"), 2, 11, "SLIM012",
            $"model name '{new string('a', 20)}…' is 300 characters long, more than 100 (it names the output folder).",
            "Use a shorter name, e.g. 'name: tinystories-slim'.");
    }

    [Fact]
    public void Model_name_of_100_characters_is_accepted()
    {
        var name = new string('b', 100);
        Assert.Equal(name, Assert.Single(_ws.Load(ManifestWorkspace.Minimal.Replace("name: m", $"name: {name}")).Models).Name);
    }

    [Fact]
    public void Yaml_nested_10000_deep_is_a_manifest_error_at_the_line()
    {
        // Line 9 opens 10,000 flow sequences; the root mapping and the 63 outer ones are within the limit, the 64th is not.
        var deep = ManifestWorkspace.Minimal + "      deep: " + new string('[', 10_000) + new string(']', 10_000) + "\n";
        var errors = _ws.Errors(deep);
        var e = Assert.Single(errors);
        Assert.Equal((9, "SLIM001"), (e.Line!.Value, e.Code));
        Assert.Equal("the YAML nests collections more than 64 levels deep here.", e.Message);
    }

    [Fact]
    public void Yaml_nested_10000_deep_exits_2_with_one_line_from_the_tool()
    {
        var deep = ManifestWorkspace.Minimal + "      deep: " + new string('{', 10_000) + new string('}', 10_000) + "\n";
        File.WriteAllText(_ws.ManifestPath, deep);
        var r = ToolRunner.RunIn(_ws.Root, null, "prune", _ws.ManifestPath);
        OneErrorLine(r);
        Assert.Contains("error SLIM001: the YAML nests collections more than 64 levels deep here.", r.Stderr);
    }

    [Fact]
    public void A_block_scalar_quoted_in_an_error_stays_on_one_line()
    {
        File.WriteAllText(_ws.ManifestPath, "models: |\n  a\n  b\n  c\n");
        var r = ToolRunner.RunIn(_ws.Root, null, "prune", _ws.ManifestPath);
        OneErrorLine(r);
        Assert.Contains("error SLIM003: 'models': expected a list, got the quoted string 'a\\nb\\nc\\n'.", r.Stderr);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("nan")]
    [InlineData("Infinity")]
    [InlineData("-1GB")]
    [InlineData("-0.5")]
    [InlineData("1e30GB")]
    [InlineData("9223372036854775807KB")]
    public void Cache_size_that_is_not_a_finite_non_negative_size_is_refused(string text)
    {
        var e = Assert.Throws<SlimLLMException>(() => CacheMaintenance.ParseSize(text));
        Assert.Contains($"'{text}' is not a size", e.Message);
    }

    [Fact]
    public void Cache_prune_with_max_size_nan_deletes_nothing()
    {
        using var cache = TestData.NewTempDir();
        var entry = Path.Combine(cache.Path, "stats", "ffn", "ab", "abcdef.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        File.WriteAllBytes(entry, new byte[1000]);
        foreach (var size in new[] { "NaN", "-5MB", "Infinity" })
        {
            var r = ToolRunner.Run("cache", "prune", "--cache-dir", cache.Path, "--max-size", size);
            OneErrorLine(r);
            Assert.Contains($"'{size}' is not a size", r.Stderr);
            Assert.True(File.Exists(entry), $"--max-size {size} deleted the entry");
        }
        Assert.Equal(0, ToolRunner.Run("cache", "prune", "--cache-dir", cache.Path, "--max-size", "1MB").ExitCode);
        Assert.True(File.Exists(entry));
    }
}
