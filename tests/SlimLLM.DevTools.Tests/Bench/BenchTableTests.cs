using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

public class BenchTableTests
{
    [Fact]
    public void Text_table_aligns_columns_and_shows_a_dash_for_fields_the_tool_did_not_report()
    {
        var text = BenchTable.Format([BenchFixtures.Result("llama-7b L3", BenchFixtures.WithNewFields), BenchFixtures.Result("old tool", BenchFixtures.WithoutNewFields, 16)], markdown: false);
        Assert.Equal(
            "case         shape                tokens  load  calib fwd  stats fwd  statistics  selection  regression  write  total  passes  peak RSS  extra/fwd  +passes/fwd  fwd GFLOP/s\n" +
            "-----------  -------------------  ------  ----  ---------  ---------  ----------  ---------  ----------  -----  -----  ------  --------  ---------  -----------  -----------\n" +
            "llama-7b L3  3x4096/11008, 32/32  32x128  0.25       2.50       1.50        3.25       0.50        0.25   1.25   9.50      28   1.23 GB       1.50         2.25       1999.7\n" +
            "old tool     3x4096/11008, 32/32  16x128  0.25       2.50          -        3.25       0.50        0.25   1.25   8.00      28         -          -            -            -\n",
            text);
    }

    [Fact]
    public void Markdown_table_has_one_row_per_result_and_right_aligned_numbers()
    {
        var md = BenchTable.Format([BenchFixtures.Result("llama-7b L3", BenchFixtures.WithNewFields)], markdown: true, peakTflops: 4);
        Assert.Equal(
            "| case | shape | tokens | load | calib fwd | stats fwd | statistics | selection | regression | write | total | passes | peak RSS | extra/fwd | +passes/fwd | fwd GFLOP/s |\n" +
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
            "| llama-7b L3 | 3x4096/11008, 32/32 | 32x128 | 0.25 | 2.50 | 1.50 | 3.25 | 0.50 | 0.25 | 1.25 | 9.50 | 28 | 1.23 GB | 1.50 | 2.25 | 1999.7 (50%) |\n",
            md);
    }

    [Theory]
    [InlineData(null, "-")]
    [InlineData(523_000_000L, "523 MB")]
    [InlineData(13_250_000_000L, "13.25 GB")]
    public void Peak_memory_is_in_decimal_megabytes_or_gigabytes(long? bytes, string expected) => Assert.Equal(expected, BenchTable.Bytes(bytes));

    [Fact]
    public void Report_notes_the_cache_hit_rebuild_against_its_goal_and_the_scaling_ratios()
    {
        var rebuild = new BenchCase { Group = "rebuild", Name = "rebuild", ModelPath = "m", Samples = 32, SeqLen = 128, Rebuild = true };
        var hit = BenchFixtures.Result("x", BenchFixtures.WithoutNewFields.Replace("\"total_seconds\":8.0", "\"total_seconds\":0.5").Replace("\"forward_passes\":28", "\"forward_passes\":0"));
        var small = BenchFixtures.Result("scaling L4", BenchFixtures.WithoutNewFields.Replace("\"total_seconds\":8.0", "\"total_seconds\":4.0"));
        var large = BenchFixtures.Result("scaling L8", BenchFixtures.WithoutNewFields);
        var report = new BenchReport("machine: test", [hit with { Case = rebuild, Label = "rebuild hit" }, small, large],
            [new ScalingPair("layers 4 -> 8", "scaling L4", "scaling L8", 2.0)]);
        Assert.Equal([
            "rebuild: cache-hit run 0.50 s tool time (goal < 1 s: met), 0 forward passes, cache 0 hits / 5 misses",
            "scaling layers 4 -> 8: total 4.00 -> 8.00 s = 2.00x, forward passes + statistics + selection + regression 6.50 -> 6.50 s = 1.00x (linear: 2.00x)",
        ], report.Notes);
        var text = report.Render(markdown: false);
        Assert.StartsWith("machine: test\n\ncase ", text);
        Assert.EndsWith(BenchTable.Legend + "\n", text);
    }

    [Fact]
    public void Json_report_keeps_the_raw_prune_result_beside_the_shape_and_derived_numbers()
    {
        var report = new BenchReport("machine: test", [BenchFixtures.Result("llama-7b L3", BenchFixtures.WithNewFields)], []);
        var json = System.Text.Json.Nodes.JsonNode.Parse(report.ToJson().ToJsonString())!;
        Assert.Equal("machine: test", json["machine"]!.GetValue<string>());
        var c = json["cases"]![0]!;
        Assert.Equal("llama-7b L3", c["case"]!.GetValue<string>());
        Assert.Equal("llama-7b-L3-bf16-v32000", c["model"]!.GetValue<string>());
        Assert.Equal((3, 4096, 11008, 32, 32, 128, 32000), (c["shape"]!["layers"]!.GetValue<int>(), c["shape"]!["hidden"]!.GetValue<int>(),
            c["shape"]!["ffn"]!.GetValue<int>(), c["shape"]!["heads"]!.GetValue<int>(), c["shape"]!["kv_heads"]!.GetValue<int>(),
            c["shape"]!["head_dim"]!.GetValue<int>(), c["shape"]!["vocab"]!.GetValue<int>()));
        Assert.Equal(4_999_341_932_544, c["forward_flops"]!.GetValue<long>());
        Assert.Equal(1.5, c["extra_over_forward"]!.GetValue<double>());
        Assert.Equal(1_234_567_890, c["prune"]!["peak_rss_bytes"]!.GetValue<long>());
        Assert.Empty(json["notes"]!.AsArray());
    }
}
