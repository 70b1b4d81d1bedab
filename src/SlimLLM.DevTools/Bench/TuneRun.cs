using System.Text.Json.Nodes;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// What one <c>slimllm tune --json</c> run reported, with the seconds per training step that <see cref="TuneClock"/> took
/// from its progress lines. <see cref="PeakRssBytes"/> is null when the tool that ran did not report it.
/// </summary>
public sealed record TuneRun(
    long ForwardPasses,
    long BackwardPasses,
    double TrainLossStart,
    double TrainLossEnd,
    double Seconds,
    long? PeakRssBytes,
    double? StepSeconds,
    JsonObject Raw)
{
    public static TuneRun Parse(string json, double? stepSeconds)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"tune --json printed no JSON object: {Start(json)}");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"tune --json printed something that is not JSON ({e.Message}): {Start(json)}", e);
        }
        double Number(string name) => root[name]?.GetValue<double>() ?? throw new InvalidDataException($"tune --json printed no \"{name}\": {Start(json)}");
        return new TuneRun(
            (long)Number("forward_passes"), (long)Number("backward_passes"), Number("train_loss_start"), Number("train_loss_end"), Number("seconds"),
            root["peak_rss_bytes"]?.GetValue<long>(), stepSeconds, (JsonObject)root.DeepClone());
    }

    private static string Start(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>
/// Times the training steps of a <c>slimllm tune</c> child from its progress lines as they arrive: from the line that
/// announces the adapters (printed once the start losses are measured) to the one that reports the last step.
/// </summary>
public sealed class TuneClock(Func<TimeSpan> now)
{
    private TimeSpan? _start, _end;

    public TuneClock() : this(Watch())
    {
    }

    private static Func<TimeSpan> Watch()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    public void Observe(string line, int steps)
    {
        if (_start is null && line.Contains(": LoRA rank ", StringComparison.Ordinal)) _start = now();
        else if (_start is not null && line.Contains($": step {steps}/{steps}:", StringComparison.Ordinal)) _end = now();
    }

    /// <summary>Mean seconds per step; null when either line was not seen.</summary>
    public double? StepSeconds(int steps) => _start is { } s && _end is { } e && steps > 0 ? (e - s).TotalSeconds / steps : null;
}
