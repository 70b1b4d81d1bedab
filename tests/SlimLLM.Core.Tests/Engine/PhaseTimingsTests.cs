using SlimLLM.Pruning.Engine;

namespace SlimLLM.Tests.Engine;

public class PhaseTimingsTests
{
    [Fact]
    public void A_phase_timed_inside_another_is_not_counted_in_the_outer_one()
    {
        var t = new PhaseTimings();
        t.Time("statistics", () =>
        {
            Thread.Sleep(50);
            t.Time("calibration forward", () => Thread.Sleep(300));
            Thread.Sleep(50);
        });
        Assert.InRange(t.Seconds["calibration forward"], 0.29, 0.6);
        // Without exclusivity the outer phase would hold 0.4 s.
        Assert.InRange(t.Seconds["statistics"], 0.09, 0.25);
    }

    [Fact]
    public void Layer_timing_is_the_difference_of_two_snapshots()
    {
        var before = new Dictionary<string, double> { ["statistics"] = 1, ["regression"] = 0.5 };
        var after = new Dictionary<string, double> { ["statistics"] = 4, ["selection"] = 0.25, ["regression"] = 1.5, ["statistics forward"] = 1.5 };
        var l = LayerTiming.Between(3, 2.0, before, after);
        Assert.Equal(new LayerTiming(3, 2.0, 3, 0.25, 1.0, 1.5) { Phases = l.Phases }, l);
        Assert.Equal(new Dictionary<string, double> { ["statistics"] = 3, ["selection"] = 0.25, ["regression"] = 1.0, ["statistics forward"] = 1.5 }, l.Phases);
        Assert.Equal(4.25, l.ExtraSeconds);
        Assert.Equal(5.75, l.ExtraWithPassesSeconds);
    }
}
