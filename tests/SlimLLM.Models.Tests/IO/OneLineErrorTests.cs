using System.Text.Json.Nodes;
using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.IO;

/// <summary>
/// Errors quote names and messages that come from the file (tokens, tensor names, the tokenizers library's own text); a
/// line break in them must not break the one-line error. Found by the fuzz test (seed 101, case 53).
/// </summary>
public class OneLineErrorTests
{
    [Fact]
    public void Tokenizer_json_error_quoting_a_token_with_a_line_break_stays_on_one_line()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.CopyOfTinyStoriesLlama();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "tokenizer.json")))!;
        Assert.True(((JsonObject)json["model"]!["vocab"]!).Remove(".\nThe▁")); // still named by a merge
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), json.ToJsonString());

        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(model));
        Assert.Contains("Token `.\nThe▁` out of vocabulary", e.Cause);
        Assert.Contains("Token `.\\nThe▁` out of vocabulary", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Gguf_tensor_name_with_control_characters_is_escaped_in_the_message()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("x.gguf");
        new GgufTestWriter()
            .Add("general.architecture", GgufValueType.String, "llama")
            .AddF32("a\r\nb\u2028\u0001", [1], [1f])
            .AddF32("a\r\nb\u2028\u0001", [1], [2f])
            .WriteTo(path);
        var e = Assert.Throws<SlimLLMException>(() => GgufFile.Open(path));
        Assert.Equal($"{path}: corrupt GGUF header: tensor 'a\\r\\nb\\u2028\\u0001' is listed twice. Download or convert the file again.", e.Message);
    }
}
