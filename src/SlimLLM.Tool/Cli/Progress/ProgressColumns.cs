using Spectre.Console;
using Spectre.Console.Rendering;

namespace SlimLLM.Tool.Cli.Progress;

/// <summary>
/// A column computed from the task's <see cref="PhaseClock"/> (its Tag) at every refresh, so elapsed time and ETA move
/// between steps; Spectre's own remaining-time column only changes when a step ends.
/// </summary>
public sealed class ClockColumn(Func<PhaseClock, TimeSpan, string> text, Func<TimeSpan> now, int width) : ProgressColumn
{
    protected override bool NoWrap => true;

    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Text(task.Tag is PhaseClock clock ? text(clock, now()) : "", new Style(Color.Grey)).RightJustified();

    public override int? GetColumnWidth(RenderOptions options) => width;

    public static ProgressColumn[] All(Func<TimeSpan> now) =>
    [
        new ClockColumn((c, _) => c.Count(), now, 16),
        new ClockColumn((c, t) => Units.Clock(c.Elapsed(t)), now, 7),
        new ClockColumn((c, _) => c.Rate(), now, 14),
        new ClockColumn((c, t) => c.Finished ? "done" : c.Remaining(t) is { } r ? "ETA " + Units.Clock(r) : "ETA --:--", now, 11),
    ];
}
