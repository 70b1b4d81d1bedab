using System.Text.Json.Nodes;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// The first model object of a <c>slimllm prune --json</c> output. <see cref="PeakRssBytes"/> and <see cref="Layers"/> are
/// newer fields: null when the tool that ran did not report them.
/// </summary>
public sealed record PruneRun(
    string Name,
    long ForwardPasses,
    long CacheHits,
    long CacheMisses,
    IReadOnlyDictionary<string, double> Timings,
    long? PeakRssBytes,
    IReadOnlyList<LayerTiming>? Layers,
    JsonObject Raw)
{
    public double TotalSeconds => Timings.TryGetValue("total_seconds", out var t) ? t : double.NaN;

    /// <summary>A phase's seconds ("load", "calibration forward", ...); null when the run had no such phase.</summary>
    public double? Phase(string name) => Timings.TryGetValue(name, out var t) ? t : null;

    /// <summary>Calibration forward plus the pruning work proper (statistics, selection, regression): what scales with layers and tokens.</summary>
    public double WorkSeconds => new[] { "calibration forward", "statistics forward", "statistics", "selection", "regression" }.Sum(p => Phase(p) ?? 0);

    /// <summary>Summed per-layer dense calibration forward seconds; null without per-layer times.</summary>
    public double? LayerForwardSeconds => Layers is { Count: > 0 } l ? l.Sum(x => x.ForwardSeconds) : null;

    /// <summary>
    /// Mean over the pruned layers (those with extra work) of (statistics + selection + regression) / that layer's calibration
    /// forward; null without per-layer times or when no layer did extra work (a cache hit).
    /// </summary>
    public double? ExtraOverForward
    {
        get
        {
            var pruned = PrunedLayers;
            return pruned is { Count: > 0 } ? pruned.Average(l => l.ExtraSeconds / l.ForwardSeconds) : null;
        }
    }

    /// <summary>
    /// As <see cref="ExtraOverForward"/> with the statistics passes counted as extra too; null as there, or when the tool that
    /// ran did not report the passes apart (an older tool counted them inside statistics).
    /// </summary>
    public double? ExtraWithPassesOverForward
    {
        get
        {
            var pruned = PrunedLayers;
            return pruned is { Count: > 0 } && pruned.Any(l => l.StatisticsForwardSeconds > 0)
                ? pruned.Average(l => l.ExtraWithPassesSeconds / l.ForwardSeconds) : null;
        }
    }

    private List<LayerTiming>? PrunedLayers => Layers?.Where(l => l.ExtraSeconds > 0 && l.ForwardSeconds > 0).ToList();

    public static PruneRun Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"prune --json printed something that is not JSON ({e.Message}): {Start(json)}", e);
        }
        var model = (root?["models"] as JsonArray)?.FirstOrDefault() as JsonObject
            ?? throw new InvalidDataException($"prune --json printed no \"models\" entry: {Start(json)}");
        var timings = (model["timings"] as JsonObject ?? throw new InvalidDataException("prune --json printed a model without \"timings\"."))
            .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
        var layers = (model["layers"] as JsonArray)?.Select(n => new LayerTiming(
            n!["layer"]!.GetValue<int>(),
            n["forward_seconds"]!.GetValue<double>(),
            n["statistics_seconds"]?.GetValue<double>() ?? 0,
            n["selection_seconds"]?.GetValue<double>() ?? 0,
            n["regression_seconds"]?.GetValue<double>() ?? 0,
            n["statistics_forward_seconds"]?.GetValue<double>() ?? 0)).ToList();
        return new PruneRun(
            model["name"]?.GetValue<string>() ?? "",
            model["forward_passes"]?.GetValue<long>() ?? 0,
            model["cache"]?["hits"]?.GetValue<long>() ?? 0,
            model["cache"]?["misses"]?.GetValue<long>() ?? 0,
            timings,
            model["peak_rss_bytes"]?.GetValue<long>(),
            layers,
            (JsonObject)model.DeepClone());
    }

    private static string Start(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
