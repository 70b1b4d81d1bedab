using System.Text.Json;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;
using static SlimLLM.Tests.Pruning.PruningTestTensors;

namespace SlimLLM.Tests.Pruning;

/// <summary>The five independently worked-out cases of shared/data/fixtures/greedy_select.json, reproduced from streamed statistics.</summary>
public class GreedySelectFixtureTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(TestData.GreedySelectFixture)).RootElement.GetProperty("cases");

    public static TheoryData<int, string> CaseIndices() => new() { { 0, "none" }, { 1, "single" }, { 2, "reswap" }, { 3, "single" }, { 4, "multi" } };

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Selection_reproduces_fixture_case(int index, string kind)
    {
        var c = Cases[index];
        Assert.Equal(kind, c.GetProperty("kind").GetString());
        using var stats = StatsFor(c, splitAt: 17);
        var result = HolisticUnitSelector.Select(stats, c.GetProperty("k").GetInt32());
        AssertMatches(c.GetProperty("expected"), result);
    }

    [Fact]
    public void Statistics_restored_from_plain_tensors_give_the_same_selection()
    {
        var c = Cases[2];
        using var stats = StatsFor(c, splitAt: 40);
        var tensors = stats.ToTensors();
        Assert.Equal(new[] { "count", "cross", "sum" }, tensors.Keys.Order());
        Assert.Equal(new long[] { 6, 6, 4 }, tensors["cross"].shape);
        Assert.Equal(40L, tensors["count"].item<long>());
        using var restored = UnitContributionStats.FromTensors(tensors, "cache/layer0.safetensors");
        AssertMatches(c.GetProperty("expected"), HolisticUnitSelector.Select(restored, 3));
    }

    private static UnitContributionStats StatsFor(JsonElement c, int splitAt)
    {
        var shape = c.GetProperty("T_shape").EnumerateArray().Select(e => (long)e.GetInt32()).ToArray();
        var values = c.GetProperty("T").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var t = tensor(values, shape, ScalarType.Float64);
        var stats = new UnitContributionStats((int)shape[0], (int)shape[2]);
        // Two token batches, to exercise streaming accumulation.
        stats.Accumulate(t[.., ..splitAt, ..]);
        if (splitAt < shape[1]) stats.Accumulate(t[.., splitAt.., ..]);
        return stats;
    }

    private static void AssertMatches(JsonElement expected, UnitSelectionResult result)
    {
        int[] Ints(string name) => expected.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(Ints("kept"), result.Kept);
        Assert.Equal(Ints("initial_order"), result.InitialOrder);
        var swaps = expected.GetProperty("swaps").EnumerateArray()
            .Select(p => new UnitSwap(p[0].GetInt32(), p[1].GetInt32())).ToArray();
        Assert.Equal(swaps, result.Swaps);
        AllClose(expected.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray(), result.Scores.ToArray(), 1e-9);
        Assert.Equal(expected.GetProperty("initial_corr_sum").GetDouble(), result.InitialObjective, 1e-9);
        Assert.Equal(expected.GetProperty("final_corr_sum").GetDouble(), result.FinalObjective, 1e-9);
        Assert.Equal(Enumerable.Range(0, result.Scores.Count).Except(result.Kept).Order(), result.Pruned);
    }
}
