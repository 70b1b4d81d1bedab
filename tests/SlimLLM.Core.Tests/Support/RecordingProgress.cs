using SlimLLM.Progress;

namespace SlimLLM.Tests.Support;

/// <summary>Keeps every progress report and message, for asserting what long work told its caller.</summary>
internal sealed class RecordingProgress : IProgressReporter
{
    public List<(string Phase, long Done, long Total)> Reports { get; } = [];
    public List<string> Messages { get; } = [];

    public void Report(string phase, long done, long total) => Reports.Add((phase, done, total));
    public void Info(string message) => Messages.Add(message);
    public void Warn(string message) => Messages.Add("warning: " + message);
}
