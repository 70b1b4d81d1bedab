using Microsoft.Build.Framework;

namespace SlimLLM.Build.Tasks.Tests;

/// <summary>An in-process IBuildEngine that keeps every error, warning and message a task logs.</summary>
public sealed class RecordingBuildEngine : IBuildEngine
{
    public List<BuildErrorEventArgs> Errors { get; } = new();
    public List<BuildWarningEventArgs> Warnings { get; } = new();
    public List<BuildMessageEventArgs> Messages { get; } = new();

    public void LogErrorEvent(BuildErrorEventArgs e) { lock (Errors) Errors.Add(e); }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (Warnings) Warnings.Add(e); }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (Messages) Messages.Add(e); }
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) =>
        throw new NotSupportedException();

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";

    /// <summary>Everything logged, one line each, for assertion messages.</summary>
    public string Log() => string.Join("\n",
        Errors.Select(e => $"error {e.Code} {e.File}({e.LineNumber},{e.ColumnNumber}): {e.Message}")
            .Concat(Warnings.Select(w => $"warning {w.Code} {w.File}: {w.Message}"))
            .Concat(Messages.Select(m => $"message ({m.Importance}): {m.Message}")));
}
