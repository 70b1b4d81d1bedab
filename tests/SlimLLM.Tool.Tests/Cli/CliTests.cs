using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class CliTests
{
    [Fact]
    public void Eval_json_reports_perplexity_and_tokens()
    {
        var r = ToolRunner.Run("eval", "--model", TestData.Stories260KGguf, "--text", TestData.TinyStoriesValid, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(5.97841, doc.RootElement.GetProperty("perplexity").GetDouble(), 3);
        Assert.Equal(121 * 128, doc.RootElement.GetProperty("tokens").GetInt64());
    }

    [Fact]
    public void Inspect_json_reports_sizes_and_per_layer_shapes()
    {
        var r = ToolRunner.Run("inspect", TestData.TinyStoriesLlama, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(656_000, root.GetProperty("parameters").GetInt64());
        Assert.Equal(2, root.GetProperty("layer_sizes").GetArrayLength());
        Assert.Equal(4, root.GetProperty("layer_sizes")[1].GetProperty("kv_heads").GetInt32());
    }

    [Fact]
    public void Generate_prints_the_story()
    {
        var r = ToolRunner.Run("generate", "--model", TestData.TinyStoriesLlama, "--max-new-tokens", "14");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", r.Stdout);
    }

    [Fact]
    public void Usage_errors_exit_2_with_one_line_each_and_where_to_read_more()
    {
        var r = ToolRunner.Run("prune", "--target", "abc");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(["error: Cannot parse argument 'abc' for option '--target' as expected type number.", "Run 'slimllm prune --help'."],
            r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stdout);
        var bare = ToolRunner.Run();
        Assert.Equal(0, bare.ExitCode);
        Assert.Contains("Exit codes: 0 success", bare.Stdout);
    }

    public static TheoryData<string, string> BrokenModels() => new()
    {
        { "truncated", "runs past the end of the file" },
        { "unknown-dtype", "unsupported dtype \"F99\"" },
        { "architecture", "unsupported architecture 'GPT2LMHeadModel'" },
        { "missing", "no such file or folder" },
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void Bad_models_give_one_line_naming_the_file_and_exit_2(string kind, string cause)
    {
        using var dir = TestData.NewTempDir();
        var model = dir.File("model");
        Directory.CreateDirectory(model);
        File.Copy(Path.Combine(TestData.TinyStoriesLlama, "config.json"), Path.Combine(model, "config.json"));
        var st = Path.Combine(model, "model.safetensors");
        var bytes = File.ReadAllBytes(Path.Combine(TestData.TinyStoriesLlama, "model.safetensors"));
        string blamed = st;
        switch (kind)
        {
            case "truncated": File.WriteAllBytes(st, bytes[..1000]); break;
            case "unknown-dtype":
                var text = System.Text.Encoding.Latin1.GetString(bytes);
                File.WriteAllBytes(st, System.Text.Encoding.Latin1.GetBytes(text.Replace("\"dtype\":\"F32\"", "\"dtype\":\"F99\"")));
                break;
            case "architecture":
                File.WriteAllBytes(st, bytes);
                File.WriteAllText(Path.Combine(model, "config.json"), File.ReadAllText(Path.Combine(model, "config.json")).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
                blamed = Path.Combine(model, "config.json");
                break;
            case "missing": model = dir.File("absent"); blamed = model; break;
        }
        var r = ToolRunner.Run("eval", "--model", model, "--text", TestData.TinyStoriesValid);
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: " + blamed, lines[0]);
        Assert.Contains(cause, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
