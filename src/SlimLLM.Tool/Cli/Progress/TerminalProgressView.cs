using Spectre.Console;

namespace SlimLLM.Tool.Cli.Progress;

/// <summary>
/// Progress on a terminal: a Spectre.Console live display with a bar per model and phase (count, elapsed time, rate, ETA),
/// refreshed on a timer. Messages are written above the bars; when every bar is done the display ends (its last frame
/// stays as the record) and a later phase starts a new one.
/// </summary>
public sealed class TerminalProgressView(Func<TimeSpan> now, bool everyStep) : IProgressView
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Interactive = InteractionSupport.Yes,
    });
    private const int DescriptionWidth = 36;
    private readonly Dictionary<PhaseClock, ProgressTask> _tasks = new(ReferenceEqualityComparer.Instance);
    private ProgressContext? _context;
    private Thread? _thread;
    private readonly ManualResetEventSlim _started = new(), _stop = new();

    public void Progress(PhaseClock clock, bool moved)
    {
        Live();
        if (!_tasks.TryGetValue(clock, out var task))
        {
            // Padded, so that the bars of the displays one after another line up.
            task = _context!.AddTask(Markup.Escape(clock.Name.PadRight(DescriptionWidth)), autoStart: true, maxValue: Math.Max(clock.Total, 1));
            task.Tag = clock;
            _tasks[clock] = task;
        }
        task.IsIndeterminate = clock.Total <= 0;
        task.MaxValue = Math.Max(clock.Total, 1);
        task.Value = clock.Total <= 0 ? 0 : clock.Done;
        if (moved && everyStep && !clock.CountsBytes)
            _console.WriteLine(Units.Invariant($"{clock.Name}: {clock.Count()} in {clock.LastStep.TotalSeconds:F1} s"));
        if (!clock.Finished) return;
        task.StopTask();
        // All done: the display ends, its last frame stays as the record, and what comes next (a message, the result on
        // stdout) is written below it; a later phase starts a new display.
        if (_tasks.Values.All(t => t.IsFinished)) Finish();
    }

    public void Line(string text)
    {
        if (_context is null) Console.Error.WriteLine(text);
        else _console.WriteLine(text); // above the live bars
    }

    public void Tick() { }

    public void Finish()
    {
        if (_context is null) return;
        _stop.Set();
        _thread!.Join();
        _context = null;
        _tasks.Clear();
    }

    private void Live()
    {
        if (_context is not null) return;
        _started.Reset();
        _stop.Reset();
        _thread = new Thread(() => _console.Progress()
            .AutoClear(false).HideCompleted(false).AutoRefresh(true)
            .Columns([new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), .. ClockColumn.All(now)])
            .Start(context =>
            {
                _context = context;
                _started.Set();
                _stop.Wait();
                context.Refresh();
            })) { IsBackground = true, Name = "slimllm progress" };
        _thread.Start();
        _started.Wait();
    }
}
