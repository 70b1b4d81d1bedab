using System.Text.Json;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Cli;

public class QuantizedGgufCliTests
{
    [Fact]
    public void A_width_that_cannot_be_quantised_fails_the_run_at_the_manifest_line_with_the_tensor_named()
    {
        // stories260K: 4 KV groups of 2 heads of 8: pruning one group leaves an attention width of 48, which no
        // channel_multiple can round (it applies to FFN widths), so the error points at gguf_type.
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), $"""
            models:
              - name: tiny
                source:
                  path: {TestData.Stories260KGguf}
                calibration:
                  files: ["{TestData.TinyStoriesValid}"]
                  samples: 4
                  seq_len: 32
                pruning:
                  target: 0.3
                  channel_multiple: 32
                output:
                  formats: [safetensors, gguf]
                  gguf_type: q8_0
            """);
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n'), l => l.Contains("error SLIM"));
        Assert.Contains($"slimllm.yaml(14,", line);
        Assert.Contains("q8_0 stores matrices in blocks of 32 values along each row", line);
        Assert.Contains("attn_output.weight (48)", line);
        Assert.Contains("export as f32, f16 or bf16", line);
        Assert.False(Directory.Exists(dir.File(Path.Combine("out", "tiny"))));
    }

    [Fact]
    public void A_q8_0_manifest_run_writes_a_q8_0_model_gguf_and_reports_its_perplexity_beside_the_float_one()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("slimllm.yaml"), $"""
            models:
              - name: tiny
                source:
                  path: {TestData.TinyStoriesLlama}
                calibration:
                  files: ["{TestData.TinyStoriesValid}"]
                  samples: 4
                  seq_len: 32
                pruning:
                  target: 0.2
                  channel_multiple: 32
                evaluate:
                  - text: {TestData.TinyStoriesValid}
                    max_tokens: 1024
                output:
                  formats: [safetensors, gguf]
                  gguf_type: q8_0
            """);
        var r = ToolRunner.RunIn(dir.Path, null, "prune", "--no-cache", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var report = JsonDocument.Parse(r.Stdout);
        var e = report.RootElement.GetProperty("models")[0].GetProperty("evaluation")[0];
        Assert.Equal("q8_0", e.GetProperty("gguf_type").GetString());
        double pruned = e.GetProperty("pruned_perplexity").GetDouble(), quantized = e.GetProperty("quantized_perplexity").GetDouble();
        Assert.NotEqual(pruned, quantized);
        Assert.InRange(quantized / pruned, 0.99, 1.01);
        using var provenance = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("out", "tiny", "slimllm.json"))));
        Assert.Equal(quantized, provenance.RootElement.GetProperty("evaluation")[0].GetProperty("quantized_perplexity").GetDouble());
        using var gguf = GgufFile.Open(dir.File(Path.Combine("out", "tiny", "model.gguf")));
        Assert.Equal(GgmlType.Q8_0, gguf.Entry("blk.1.ffn_down.weight").Type);
    }
}
