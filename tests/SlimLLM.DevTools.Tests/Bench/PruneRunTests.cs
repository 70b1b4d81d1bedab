using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

public class PruneRunTests
{
    [Fact]
    public void Parses_phases_passes_and_cache_without_the_newer_fields()
    {
        var run = PruneRun.Parse(BenchFixtures.WithoutNewFields);
        Assert.Equal(28, run.ForwardPasses);
        Assert.Equal((0L, 5L), (run.CacheHits, run.CacheMisses));
        Assert.Equal(2.5, run.Phase("calibration forward"));
        Assert.Null(run.Phase("evaluate"));
        Assert.Equal(8.0, run.TotalSeconds);
        Assert.Equal(2.5 + 3.25 + 0.5 + 0.25, run.WorkSeconds);
        Assert.Null(run.PeakRssBytes);
        Assert.Null(run.Layers);
        Assert.Null(run.ExtraOverForward);
        Assert.Null(run.ExtraWithPassesOverForward);
        Assert.Null(run.LayerForwardSeconds);
    }

    [Fact]
    public void Parses_peak_rss_and_per_layer_times_and_averages_extra_over_forward_on_pruned_layers_only()
    {
        var run = PruneRun.Parse(BenchFixtures.WithNewFields);
        Assert.Equal(1_234_567_890, run.PeakRssBytes);
        Assert.Equal([0, 1, 2], run.Layers!.Select(l => l.Layer));
        Assert.Equal(2.0, run.Layers![0].ExtraSeconds);
        Assert.Equal(2.5, run.LayerForwardSeconds);
        // (2.0 / 1.0 + 1.0 / 1.0) / 2: layer 2 did no extra work, so it was not pruned and does not count.
        Assert.Equal(1.5, run.ExtraOverForward);
        // (3.0 / 1.0 + 1.5 / 1.0) / 2 with the statistics passes counted as extra.
        Assert.Equal(2.25, run.ExtraWithPassesOverForward);
        Assert.Equal(1.5 + 2.5 + 3.25 + 0.5 + 0.25, run.WorkSeconds);
        Assert.Equal(9.5, run.Raw["timings"]!["total_seconds"]!.GetValue<double>());
    }

    [Fact]
    public void Gflops_divide_the_timed_layers_flops_by_their_summed_forward_seconds()
    {
        var r = BenchFixtures.Result("7b", BenchFixtures.WithNewFields);
        Assert.Equal(4_999_341_932_544, r.ForwardFlopCount);
        Assert.Equal(1999.7367730176, r.ForwardGflops!.Value, 6);
        Assert.Null(BenchFixtures.Result("7b", BenchFixtures.WithoutNewFields).ForwardGflops);
    }

    [Fact]
    public void Output_that_is_not_prune_json_is_reported_with_its_start()
    {
        var e = Assert.Throws<InvalidDataException>(() => PruneRun.Parse("""{"x":1}"""));
        Assert.Equal("""prune --json printed no "models" entry: {"x":1}""", e.Message);
    }
}
