using System.Globalization;

namespace SlimLLM.DevTools.Bench;

/// <summary>Formats benchmark rows as one aligned text table or as a Markdown table.</summary>
public static class BenchTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string Legend =
        "times in seconds of tool time (process start-up excluded); passes: calibration forward passes run; " +
        "stats fwd: the second forward of each pruned layer, on its sequential inputs, that the statistics are taken from; " +
        "extra/fwd: per pruned layer, (statistics + selection + regression) / that layer's dense calibration forward, mean; " +
        "+passes/fwd: the same with stats fwd counted as extra; " +
        "fwd GFLOP/s: dense calibration forward (2 x projection weights x tokens + 4 x tokens x seq_len x hidden per layer) / its time";

    private static IReadOnlyList<TableColumn<BenchResult>> Columns(double? peakTflops) =>
    [
        new("case", true, r => r.Label),
        new("shape", true, r => r.Shape),
        new("tokens", false, r => r.Tokens),
        new("load", false, r => Seconds(r.Run.Phase("load"))),
        new("calib fwd", false, r => Seconds(r.Run.Phase("calibration forward"))),
        new("stats fwd", false, r => Seconds(r.Run.Phase("statistics forward"))),
        new("statistics", false, r => Seconds(r.Run.Phase("statistics"))),
        new("selection", false, r => Seconds(r.Run.Phase("selection"))),
        new("regression", false, r => Seconds(r.Run.Phase("regression"))),
        new("write", false, r => Seconds(r.Run.Phase("write"))),
        new("total", false, r => Seconds(r.Run.TotalSeconds)),
        new("passes", false, r => r.Run.ForwardPasses.ToString(Inv)),
        new("peak RSS", false, r => Bytes(r.Run.PeakRssBytes)),
        new("extra/fwd", false, r => r.Run.ExtraOverForward is double x ? x.ToString("F2", Inv) : "-"),
        new("+passes/fwd", false, r => r.Run.ExtraWithPassesOverForward is double x ? x.ToString("F2", Inv) : "-"),
        new("fwd GFLOP/s", false, r => Gflops(r.ForwardGflops, peakTflops)),
    ];

    /// <summary>The column headers, in order.</summary>
    public static IReadOnlyList<string> Headers => Columns(null).Select(c => c.Header).ToList();

    public static string Format(IReadOnlyList<BenchResult> rows, bool markdown, double? peakTflops = null) =>
        TextTable.Format(Columns(peakTflops), rows, markdown);

    public static string Seconds(double? s) => s is double v && !double.IsNaN(v) ? v.ToString("F2", Inv) : "-";

    /// <summary>Decimal megabytes below 1 GB, decimal gigabytes above; "-" when not reported.</summary>
    public static string Bytes(long? bytes) => bytes switch
    {
        null => "-",
        < 1_000_000_000 => (bytes.Value / 1e6).ToString("F0", Inv) + " MB",
        _ => (bytes.Value / 1e9).ToString("F2", Inv) + " GB",
    };

    private static string Gflops(double? gflops, double? peakTflops) => gflops switch
    {
        null => "-",
        double g when peakTflops is double p && p > 0 => $"{g.ToString("F1", Inv)} ({(100 * g / (p * 1000)).ToString("F0", Inv)}%)",
        double g => g.ToString("F1", Inv),
    };
}
