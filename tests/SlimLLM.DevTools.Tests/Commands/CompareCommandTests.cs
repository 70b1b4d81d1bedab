using System.Text.Json;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Commands;

public class CompareCommandTests
{
    [Fact]
    public void Compare_json_has_the_dense_row_then_one_row_per_method_at_each_target()
    {
        var r = ToolRunner.RunDev("compare", "--model", TestData.Stories260KGguf, "--text", TestData.TinyStoriesValid, "--holdout", "0.05",
            "--targets", "0.2", "--methods", "magnitude,slimllm:mean-bias,slimllm/flap:least-squares", "--alpha", "7", "--samples", "4", "--seq-len", "32", "--device", "cpu", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(4 * 32, doc.RootElement.GetProperty("calibration_tokens").GetInt32());
        Assert.Equal(["tinystories-valid.txt (held-out)"], doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([("dense", "-"), ("magnitude", "none"), ("slimllm", "mean-bias"), ("slimllm/flap", "least-squares")],
            rows.Select(x => (x.GetProperty("method").GetString(), x.GetProperty("recovery").GetString())));
        Assert.False(rows[0].TryGetProperty("target", out _));
        var dense = rows[0].GetProperty("perplexities")[0].GetDouble();
        Assert.InRange(dense, 1.0, 100.0);
        foreach (var row in rows.Skip(1))
        {
            Assert.Equal(0.2, row.GetProperty("target").GetDouble());
            Assert.InRange(row.GetProperty("achieved_decoder").GetDouble(), 0.15, 0.25);
            Assert.True(row.GetProperty("perplexities")[0].GetDouble() > dense, row.ToString());
        }
    }
}
