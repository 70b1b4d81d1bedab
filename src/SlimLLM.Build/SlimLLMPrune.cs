using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlimLLM.Build;

/// <summary>
/// Runs `dotnet slimllm.dll prune MANIFEST --json` out of process (libtorch never loads into an MSBuild node) and turns its
/// exit code and JSON report (<see cref="ToolReport"/>; docs/msbuild.md) into MSBuild errors, warnings and messages; stderr
/// is progress for the log, never parsed. On success writes <see cref="Stamp"/> and returns the model folders.
/// </summary>
public sealed class SlimLLMPrune : ToolTask
{
    /// <summary>The slimllm.yaml to prune.</summary>
    [Required] public string Manifest { get; set; } = "";
    /// <summary>The tool's entry assembly, slimllm.dll.</summary>
    [Required] public string ToolAssembly { get; set; } = "";
    /// <summary>Written after a successful prune (see <see cref="PruneStamp"/>).</summary>
    [Required] public string Stamp { get; set; } = "";
    public string? Device { get; set; }
    public string? CacheDir { get; set; }
    /// <summary>Passes --offline: models from NuGet feeds and the Hugging Face hub come from their caches only.</summary>
    public bool Offline { get; set; }

    /// <summary>One item per pruned model: the output folder, with metadata ModelName.</summary>
    [Output] public ITaskItem[] ModelFolders { get; private set; } = new ITaskItem[0];

    /// <summary>
    /// One item per pruned model (the model's name) with metadata Summary, the one line a person reads (see
    /// <see cref="ResultSummary"/>): the targets show it through the terminal logger's project result line.
    /// </summary>
    [Output] public ITaskItem[] Results { get; private set; } = new ITaskItem[0];

    private readonly StringBuilder _stdout = new();
    private volatile bool _cancelled;
    // The build's cancel reaches the tool as this file (SLIMLLM_CANCEL_FILE, a first SIGINT to it); see Cancel.
    private readonly string _cancelFile = Path.Combine(Path.GetTempPath(), "slimllm-cancel-" + Guid.NewGuid().ToString("N"));
    private readonly ManualResetEvent _toolExited = new(false);

    /// <summary>
    /// How long a cancelled build waits for the tool to stop at its next safe point (the end of a step; temporary files
    /// removed) before it kills it. A step of a large model on a CPU can take minutes; a killed run is cleaned up by the next.
    /// </summary>
    public int StopTimeoutSeconds { get; set; } = 60;

    private string ManifestPath => Path.GetFullPath(Manifest);

    protected override string ToolName => Path.DirectorySeparatorChar == '\\' ? "dotnet.exe" : "dotnet";

    // stdout carries the JSON report and stderr the progress; ToolTask only tells them apart by importance.
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Low;
    protected override MessageImportance StandardErrorLoggingImportance => MessageImportance.Normal;
    protected override Encoding StandardOutputEncoding => Encoding.UTF8;
    protected override Encoding StandardErrorEncoding => Encoding.UTF8;

    protected override string GenerateFullPathToTool()
    {
        // The SDK's MSBuild sets DOTNET_HOST_PATH to the dotnet that runs it; elsewhere (Visual Studio) look on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host!;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir.Trim('"'), ToolName);
            if (File.Exists(candidate)) return candidate;
        }
        return ToolName;
    }

    protected override string GetWorkingDirectory() => Path.GetDirectoryName(ManifestPath)!;

    protected override bool ValidateParameters()
    {
        if (!File.Exists(ToolAssembly))
        {
            LogError(DiagnosticCodes.ToolMissing,
                $"the slimllm tool was not found at '{ToolAssembly}'. Restore the SlimLLM.Build package again, or set SlimLLMToolPath to a built slimllm.dll.");
            return false;
        }
        if (!File.Exists(Manifest))
        {
            LogError(DiagnosticCodes.ManifestMissing, $"the manifest '{Manifest}' does not exist. Create it (slimllm init) or fix the SlimLLMManifest item.");
            return false;
        }
        return true;
    }

    protected override string GenerateCommandLineCommands()
    {
        var cmd = new CommandLineBuilder();
        cmd.AppendFileNameIfNotNull(ToolAssembly);
        cmd.AppendSwitch("prune");
        cmd.AppendFileNameIfNotNull(ManifestPath);
        cmd.AppendSwitch("--json");
        if (!string.IsNullOrWhiteSpace(Device)) cmd.AppendSwitchIfNotNull("--device ", Device);
        if (!string.IsNullOrWhiteSpace(CacheDir)) cmd.AppendSwitchIfNotNull("--cache-dir ", Path.GetFullPath(CacheDir));
        if (Offline) cmd.AppendSwitch("--offline");
        return cmd.ToString();
    }

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        if (messageImportance == StandardOutputLoggingImportance) _stdout.AppendLine(singleLine);
        else Log.LogMessage(messageImportance, "slimllm: {0}", singleLine);
    }

    // The exit code is read with the report in Execute; no MSB6006 "exited with code N".
    protected override bool HandleTaskExecutionErrors() => false;

    protected override ProcessStartInfo GetProcessStartInfo(string pathToTool, string commandLineCommands, string responseFileSwitch)
    {
        var start = base.GetProcessStartInfo(pathToTool, commandLineCommands, responseFileSwitch);
        start.Environment["SLIMLLM_CANCEL_FILE"] = _cancelFile;
        return start;
    }

    protected override int ExecuteTool(string pathToTool, string responseFileCommands, string commandLineCommands)
    {
        try { return base.ExecuteTool(pathToTool, responseFileCommands, commandLineCommands); }
        finally
        {
            _toolExited.Set();
            try { File.Delete(_cancelFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// MSBuild's cancel (Ctrl-C in dotnet build) asks the tool to stop as SIGINT does, by creating its cancel file, and
    /// kills it (ToolTask's cancel) only when it has not exited within <see cref="StopTimeoutSeconds"/>.
    /// </summary>
    public override void Cancel()
    {
        _cancelled = true;
        if (_toolExited.WaitOne(0)) return;
        try { File.WriteAllText(_cancelFile, "cancelled by MSBuild"); }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            base.Cancel();
            return;
        }
        ThreadPool.QueueUserWorkItem(_ =>
        {
            if (!_toolExited.WaitOne(TimeSpan.FromSeconds(StopTimeoutSeconds))) base.Cancel();
        });
    }

    public override bool Execute()
    {
        base.Execute();
        // Not run (the tool or the manifest is missing, dotnet did not start), or stopped by the build's cancellation: nothing to read.
        if (Log.HasLoggedErrors || _cancelled) return false;
        var report = ReadReport();
        if (report is null) return false;
        foreach (var m in report.Models.Where(m => !m.Rejected)) LogResult(m);
        Results = report.Models.Where(m => !m.Rejected).Select(m =>
        {
            var item = new TaskItem(m.Name);
            item.SetMetadata("Summary", ResultSummary.Of(m));
            return (ITaskItem)item;
        }).ToArray();
        foreach (var w in report.Warnings) LogDiagnostic(w, DiagnosticCodes.ToolWarning, warning: true);
        switch (ExitCode)
        {
            case ToolExitCodes.Success:
                return WriteStamp(report);
            case ToolExitCodes.GateFailed:
                foreach (var m in report.Models.Where(m => m.Rejected)) LogGateFailure(m);
                return ExpectLoggedErrors("an evaluate gate failed, but the report lists no rejected model");
            case ToolExitCodes.BadInput:
            case ToolExitCodes.InternalError:
            case ToolExitCodes.Interrupted:
            case ToolExitCodes.Terminated:
                foreach (var e in report.Errors) LogDiagnostic(e, CodeFor(ExitCode), warning: false);
                return ExpectLoggedErrors($"{Meaning(ExitCode)}, but the report lists no error");
            default:
                LogError(DiagnosticCodes.BadReport, $"slimllm exited with code {ExitCode}, which is not one of its exit codes (0, 1, 2, 3, 130, 143); " +
                                                    "it may have been killed (out of memory?). The lines above (-v:n) say what it did last.");
                return false;
        }
    }

    /// <summary>The report on stdout; null (with the error logged) when there is none or it is not one of the version this task reads.</summary>
    private ToolReport? ReadReport()
    {
        var json = _stdout.ToString().Trim();
        if (json.Length == 0)
        {
            // Only a command line the tool refused (exit 2) or a process that died (a second Ctrl-C, the OOM killer) ends without a report.
            LogError(CodeFor(ExitCode),
                $"slimllm prune exited with code {ExitCode} ({Meaning(ExitCode)}) without its JSON report; the lines above (-v:n) say why.");
            return null;
        }
        ToolReport report;
        try { report = ToolReport.Parse(json); }
        catch (Exception e) when (e is System.Runtime.Serialization.SerializationException || e is System.Xml.XmlException || e is InvalidCastException)
        {
            LogError(DiagnosticCodes.BadReport, $"slimllm prune --json printed output that is not its JSON report ({e.Message}). This is a bug; report it with the build log.");
            return null;
        }
        if (report.Version != ToolReport.SupportedVersion)
        {
            LogError(DiagnosticCodes.BadReport, $"slimllm printed a report of version {report.Version}; this SlimLLM.Build reads version {ToolReport.SupportedVersion}. " +
                                                "Use the tool of the same SlimLLM.Build package (SlimLLMToolPath).");
            return null;
        }
        return report;
    }

    /// <summary>The MSBuild code of a failure with this exit code whose error has no code of its own.</summary>
    private static string CodeFor(int exitCode) => exitCode switch
    {
        ToolExitCodes.BadInput => DiagnosticCodes.BadInput,
        ToolExitCodes.InternalError => DiagnosticCodes.InternalError,
        ToolExitCodes.Interrupted or ToolExitCodes.Terminated => DiagnosticCodes.Stopped,
        _ => DiagnosticCodes.BadReport,
    };

    private static string Meaning(int exitCode) => exitCode switch
    {
        ToolExitCodes.Success => "success",
        ToolExitCodes.InternalError => "internal error",
        ToolExitCodes.BadInput => "bad input",
        ToolExitCodes.GateFailed => "an evaluate gate failed",
        ToolExitCodes.Interrupted => "SIGINT",
        ToolExitCodes.Terminated => "SIGTERM",
        _ => "not one of its exit codes",
    };

    private bool ExpectLoggedErrors(string what)
    {
        if (!Log.HasLoggedErrors)
            LogError(DiagnosticCodes.BadReport, $"slimllm prune exited with code {ExitCode}: {what}. This is a bug; report it with the build log.");
        return false;
    }

    private bool WriteStamp(ToolReport report)
    {
        if (report.Models.Any(m => m.Rejected) || report.Errors.Count > 0)
        {
            LogError(DiagnosticCodes.BadReport, "slimllm prune exited with code 0 but reported a rejected model or an error. This is a bug; report it with the build log.");
            return false;
        }
        ModelFolders = report.Models.Select(m =>
        {
            var item = new TaskItem(m.Output);
            item.SetMetadata("ModelName", m.Name);
            return (ITaskItem)item;
        }).ToArray();
        var inputs = new[] { ManifestPath }.Concat(report.Models.SelectMany(m => m.Inputs ?? new List<string>())).Distinct(StringComparer.Ordinal).ToList();
        new PruneStamp(report.Models.Select(m => new KeyValuePair<string, string>(m.Name, m.Output)).ToList(), inputs).Write(Stamp);
        return true;
    }

    private void LogResult(ReportedModel m)
    {
        var sb = new StringBuilder();
        sb.Append("SlimLLM: ").Append(m.Name).Append(" -> ").Append(m.Output);
        if (m.Parameters is { } p)
            sb.Append(string.Format(CultureInfo.InvariantCulture, ", parameters {0:N0} -> {1:N0} (decoder layers -{2:F1}%)", p.Before, p.After, p.AchievedDecoderReduction * 100));
        foreach (var e in m.Evaluation ?? new List<ReportedEvaluation>())
            sb.Append(string.Format(CultureInfo.InvariantCulture, ", perplexity on {0}: {1:F3} -> {2:F3}", Path.GetFileName(e.Text), e.DensePerplexity, e.PrunedPerplexity));
        // Normal: the high-importance line a person sees at any verbosity is the summary the targets log (ResultSummary).
        Log.LogMessage(MessageImportance.Normal, sb.ToString());
    }

    private void LogGateFailure(ReportedModel m)
    {
        foreach (var e in (m.Evaluation ?? new List<ReportedEvaluation>()).Where(e => e.Failed))
            LogError(DiagnosticCodes.GateFailed, string.Format(CultureInfo.InvariantCulture,
                "model '{0}' failed its evaluate gate: perplexity on {1} rose from {2:F3} (dense) to {3:F3} (pruned), {4:+0.0%}, above the allowed {5:+0.0%}. " +
                "The rejected model is in {6}; the previous output was left as it was. Prune less (lower target) or raise max_perplexity_increase.",
                m.Name, e.Text, e.DensePerplexity, e.PrunedPerplexity, e.PrunedPerplexity / e.DensePerplexity - 1, e.MaxPerplexityIncrease ?? 0, m.Output));
    }

    /// <summary>A diagnostic of the report at its file, line and column (else the manifest), with its own code or <paramref name="code"/>.</summary>
    private void LogDiagnostic(ReportedDiagnostic d, string code, bool warning)
    {
        var file = string.IsNullOrEmpty(d.File) ? ManifestPath : d.File;
        var c = string.IsNullOrEmpty(d.Code) ? code : d.Code;
        if (warning) Log.LogWarning(null, c, null, file, d.Line ?? 0, d.Column ?? 0, 0, 0, d.Message);
        else Log.LogError(null, c, null, file, d.Line ?? 0, d.Column ?? 0, 0, 0, d.Message);
    }

    private void LogError(string code, string message) => Log.LogError(null, code, null, ManifestPath, 0, 0, 0, 0, message);
}
