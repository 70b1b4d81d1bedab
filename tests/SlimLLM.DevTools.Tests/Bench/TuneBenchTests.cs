using SlimLLM.DevTools.Bench;
using SlimLLM.Models;

namespace SlimLLM.Tests.Bench;

public class TuneBenchTests
{
    private const string Tuned = """
        {"name":"tuned","output":"/tmp/tuned","cached":false,"forward_passes":10,"backward_passes":2,"train_loss_start":10.5,
         "train_loss_end":10.25,"held_out_loss_start":10.5,"held_out_loss_end":10.375,"evaluation":[],"cache":{"hits":0,"misses":0},
         "seconds":120.5,"peak_rss_bytes":5000000000}
        """;

    /// <summary>A pruned LLaMA-7B shape of 4 layers: FFN 8806/9189 and 26/32 heads alternating.</summary>
    private static ModelConfig Pruned() => BenchFixtures.Llama7B(4) with
    {
        Layers = [.. Enumerable.Range(0, 4).Select(i => i % 2 == 0
            ? new DecoderLayerConfig(26, 26, 8806, ProjectionBiases.None)
            : new DecoderLayerConfig(32, 32, 9189, ProjectionBiases.None))],
    };

    private static TuneResult Result(bool checkpointing, long peak, double stepSeconds, int batch = 8)
    {
        var c = Assert.Single(BenchPlan.Create($"tune:{batch}", "/data").Cases);
        var run = TuneRun.Parse(Tuned.Replace("5000000000", peak.ToString(System.Globalization.CultureInfo.InvariantCulture)), stepSeconds);
        return new TuneResult(c, c.Name + (checkpointing ? " checkpointed" : ""), Pruned(), checkpointing, run);
    }

    [Fact]
    public void The_tune_case_prunes_all_4_layers_of_a_7b_shape_on_8x128_tokens_and_tunes_2_steps_of_8x128_or_the_batch_asked()
    {
        var c = Assert.Single(BenchPlan.Create("tune", "/data", samples: 32).Cases);
        Assert.Equal(("llama-7b L4 tune 8x128", "llama-7b", 4, "bf16", 32000, 4, 8, 128), (c.Name, c.Synth!.Shape, c.Synth.Layers, c.Synth.DType,
            c.Synth.Vocab, c.PrunedLayers, c.Samples, c.SeqLen));
        Assert.Equal(new TuneSpec(2, 8, 128), c.Tune);
        Assert.Equal(new TuneSpec(2, 4, 128), Assert.Single(BenchPlan.Create("tune:4", "/data").Cases).Tune);
        Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => BenchPlan.Create("tune:0", "/data"));
        Assert.DoesNotContain(BenchPlan.Create("all", "/data").Cases, x => x.Tune is not null);
    }

    [Fact]
    public void Tune_json_is_parsed_with_and_without_the_peak_memory()
    {
        var run = TuneRun.Parse(Tuned, 31.5);
        Assert.Equal((10L, 2L, 10.5, 10.25, 120.5, (long?)5_000_000_000, (double?)31.5),
            (run.ForwardPasses, run.BackwardPasses, run.TrainLossStart, run.TrainLossEnd, run.Seconds, run.PeakRssBytes, run.StepSeconds));
        Assert.Equal(10.375, run.Raw["held_out_loss_end"]!.GetValue<double>());
        Assert.Null(TuneRun.Parse(Tuned.Replace(""","peak_rss_bytes":5000000000""", ""), null).PeakRssBytes);
        var e = Assert.Throws<InvalidDataException>(() => TuneRun.Parse("""{"seconds":1}""", null));
        Assert.Equal("""tune --json printed no "forward_passes": {"seconds":1}""", e.Message);
    }

    [Fact]
    public void The_clock_times_the_steps_from_the_adapter_line_to_the_last_step_line()
    {
        var now = TimeSpan.Zero;
        var clock = new TuneClock(() => now);
        now = TimeSpan.FromSeconds(5);
        clock.Observe("[12s] tuned: step 2/2: loss 1.0", 2); // before the adapters line: ignored
        clock.Observe("tuned: LoRA rank 8 on q_proj: 1 trainable parameters; loss 10.5", 2);
        Assert.Null(clock.StepSeconds(2));
        now = TimeSpan.FromSeconds(35);
        clock.Observe("tuned: step 1/2: loss 10.4", 2);
        now = TimeSpan.FromSeconds(65);
        clock.Observe("tuned: step 2/2: loss 10.3, learning rate 0, gradient norm 1", 2);
        Assert.Equal(30.0, clock.StepSeconds(2)!.Value, 9);
    }

    [Fact]
    public void Counted_activations_of_a_dense_7b_layer_are_80896_float32_values_per_token()
    {
        // 4 x 4096 + 5 x 32 x 128 + 4 x 11008.
        Assert.Equal(80_896, TuneMemory.Float32ValuesPerToken(BenchFixtures.Llama7B(1), 0));
        // Pruned layers: the mean of (4 x 4096 + 5 x 26 x 128 + 4 x 8806) and (4 x 4096 + 5 x 32 x 128 + 4 x 9189), in bytes.
        Assert.Equal(4.0 * (68_248 + 73_620) / 2, TuneMemory.CountedBytesPerLayerToken(Pruned()), 9);
    }

    [Fact]
    public void Notes_give_what_checkpointing_saved_per_token_and_the_activations_per_layer_from_two_batch_sizes()
    {
        var whole = Result(false, 5_000_000_000, 30);
        var checkpointed = Result(true, 4_000_000_000, 45);
        var half = Result(false, 4_500_000_000, 15, batch: 4);
        // 1e9 bytes over 1,024 tokens.
        Assert.Equal(976_562.5, TuneMemory.CheckpointingSavedBytesPerToken(whole, checkpointed)!.Value, 6);
        Assert.Null(TuneMemory.CheckpointingSavedBytesPerToken(whole, checkpointed with { Run = checkpointed.Run with { PeakRssBytes = null } }));
        // 0.5e9 bytes over 512 more tokens, less 3 x 4 x 32,000 bytes of logits, over 4 layers.
        Assert.Equal(976_562.5, TuneMemory.PeakBytesPerToken(half, whole)!.Value, 6);
        Assert.Null(TuneMemory.PeakBytesPerToken(whole, whole));
        Assert.Equal((976_562.5 - 384_000) / 4, TuneMemory.LayerBytesPerToken(976_562.5, whole.Config), 6);
        Assert.Equal([
            "llama-7b L4 tune 8x128: checkpointing lowered the peak RSS by 977 kB per token of a step (1024 tokens, 4 layers); step time with checkpointing 1.50x of without",
            "whole graph, 512 -> 1024 tokens per step: the peak grows 977 kB per token; less the logits' 384 kB (3 x 4 B x vocab), over 4 layers: " +
            "148 kB per layer and token (counted, float32: 284 kB)",
        ], TuneTable.Notes([whole, checkpointed, half]));
    }

    [Fact]
    public void The_report_prints_the_tune_table_after_the_prunes_and_keeps_the_raw_tune_json()
    {
        var report = new BenchReport("machine: test", [BenchFixtures.Result("llama-7b L3", BenchFixtures.WithNewFields)], [])
        {
            Tunes = [Result(false, 5_000_000_000, 30), Result(true, 4_000_000_000, 45)],
        };
        var text = report.Render(markdown: false);
        var tail = text[text.IndexOf("\ncase          ", StringComparison.Ordinal)..];
        Assert.Equal(
            "\ncase                                 pruned shape             tokens/step  checkpointing  steps  s/step   total  peak RSS                loss\n" +
            "-----------------------------------  -----------------------  -----------  -------------  -----  ------  ------  --------  ------------------\n" +
            "llama-7b L4 tune 8x128               4x4096/8806-9189, 26-32        8x128  no                 2   30.00  120.50   5.00 GB  10.5000 -> 10.2500\n" +
            "llama-7b L4 tune 8x128 checkpointed  4x4096/8806-9189, 26-32        8x128  yes                2   45.00  120.50   4.00 GB  10.5000 -> 10.2500\n" +
            "\n" + string.Join("\n", TuneTable.Notes(report.Tunes)) + "\n" + TuneTable.Legend + "\n",
            tail);
        var json = report.ToJson();
        var tune = json["tune"]![1]!;
        Assert.Equal((true, 8, 45.0), (tune["activation_checkpointing"]!.GetValue<bool>(), tune["batch_size"]!.GetValue<int>(), tune["step_seconds"]!.GetValue<double>()));
        Assert.Equal(4_000_000_000, tune["tune"]!["peak_rss_bytes"]!.GetValue<long>());
        Assert.Single(json["notes"]!.AsArray());
    }
}
