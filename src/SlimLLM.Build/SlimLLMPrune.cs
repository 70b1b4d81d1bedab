using System.Globalization;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace SlimLLM.Build;

/// <summary>
/// Runs `dotnet slimllm.dll prune MANIFEST --json` out of process (libtorch never loads into an MSBuild node), turns its
/// stderr into MSBuild errors, warnings and messages, and on success writes <see cref="Stamp"/> and returns the model folders.
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

    /// <summary>One item per pruned model: the output folder, with metadata ModelName.</summary>
    [Output] public ITaskItem[] ModelFolders { get; private set; } = new ITaskItem[0];

    private readonly StringBuilder _stdout = new();

    protected override string ToolName => Path.DirectorySeparatorChar == '\\' ? "dotnet.exe" : "dotnet";

    // stdout carries the JSON report and stderr the progress and errors; ToolTask only tells them apart by importance.
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.Low;
    protected override MessageImportance StandardErrorLoggingImportance => MessageImportance.Normal;

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

    protected override string GetWorkingDirectory() => Path.GetDirectoryName(Path.GetFullPath(Manifest))!;

    protected override bool ValidateParameters()
    {
        if (!File.Exists(ToolAssembly))
        {
            Log.LogError(null, "SLIM103", null, Manifest, 0, 0, 0, 0,
                $"the slimllm tool was not found at '{ToolAssembly}'. Restore the SlimLLM.Build package again, or set SlimLLMToolPath to a built slimllm.dll.");
            return false;
        }
        if (!File.Exists(Manifest))
        {
            Log.LogError(null, "SLIM104", null, Manifest, 0, 0, 0, 0,
                $"the manifest '{Manifest}' does not exist. Create it (slimllm init) or fix the SlimLLMManifest item.");
            return false;
        }
        return true;
    }

    protected override string GenerateCommandLineCommands()
    {
        var cmd = new CommandLineBuilder();
        cmd.AppendFileNameIfNotNull(ToolAssembly);
        cmd.AppendSwitch("prune");
        cmd.AppendFileNameIfNotNull(Path.GetFullPath(Manifest));
        cmd.AppendSwitch("--json");
        if (!string.IsNullOrWhiteSpace(Device)) cmd.AppendSwitchIfNotNull("--device ", Device);
        if (!string.IsNullOrWhiteSpace(CacheDir)) cmd.AppendSwitchIfNotNull("--cache-dir ", Path.GetFullPath(CacheDir));
        return cmd.ToString();
    }

    protected override void LogEventsFromTextOutput(string singleLine, MessageImportance messageImportance)
    {
        if (messageImportance == StandardOutputLoggingImportance)
        {
            _stdout.AppendLine(singleLine);
            return;
        }
        var line = ToolOutputLine.Parse(singleLine);
        var manifest = Path.GetFullPath(Manifest);
        switch (line.Kind)
        {
            case ToolLineKind.CanonicalError:
                Log.LogError(null, line.Code, null, line.File, line.Line, line.Column, 0, 0, line.Message);
                break;
            case ToolLineKind.CanonicalWarning:
                Log.LogWarning(null, line.Code, null, line.File, line.Line, line.Column, 0, 0, line.Message);
                break;
            case ToolLineKind.GateFailure:
            case ToolLineKind.Error:
                Log.LogError(null, line.Code, null, manifest, 0, 0, 0, 0, line.Message);
                break;
            case ToolLineKind.Warning:
                Log.LogWarning(null, line.Code, null, manifest, 0, 0, 0, 0, line.Message);
                break;
            default:
                Log.LogMessage(messageImportance, "slimllm: {0}", line.Message);
                break;
        }
    }

    public override bool Execute()
    {
        bool ok = base.Execute();
        PruneResult? result = null;
        var json = _stdout.ToString().Trim();
        if (json.Length > 0)
        {
            try { result = PruneResult.Parse(json); }
            catch (Exception e) when (e is System.Runtime.Serialization.SerializationException || e is System.Xml.XmlException)
            {
                Log.LogError(null, "SLIM105", null, Path.GetFullPath(Manifest), 0, 0, 0, 0,
                    $"slimllm prune --json printed output that is not its JSON report ({e.Message}). This is a bug; report it with the build log.");
                return false;
            }
            foreach (var m in result.Models) LogResult(m);
        }
        if (!ok || Log.HasLoggedErrors) return false;
        if (result is null)
        {
            Log.LogError(null, "SLIM105", null, Path.GetFullPath(Manifest), 0, 0, 0, 0,
                "slimllm prune --json succeeded but printed no JSON report. This is a bug; report it with the build log.");
            return false;
        }
        ModelFolders = result.Models.Select(m =>
        {
            var item = new TaskItem(m.Output);
            item.SetMetadata("ModelName", m.Name);
            return (ITaskItem)item;
        }).ToArray();
        var inputs = result.Models.SelectMany(m => m.Inputs ?? new List<string>()).Distinct(StringComparer.Ordinal).Select(InputFile.Of).ToList();
        new PruneStamp(PruneStamp.ContentHash(Manifest, ToolAssembly),
            result.Models.Select(m => new KeyValuePair<string, string>(m.Name, m.Output)).ToList(), inputs).Write(Stamp);
        return true;
    }

    private void LogResult(PrunedModel m)
    {
        var sb = new StringBuilder();
        sb.Append("SlimLLM: ").Append(m.Name).Append(" -> ").Append(m.Output);
        if (m.Parameters is { } p)
            sb.Append(string.Format(CultureInfo.InvariantCulture, ", parameters {0:N0} -> {1:N0} (decoder layers -{2:F1}%)", p.Before, p.After, p.AchievedDecoderReduction * 100));
        foreach (var e in m.Evaluation ?? new List<PrunedEvaluation>())
            sb.Append(string.Format(CultureInfo.InvariantCulture, ", perplexity on {0}: {1:F3} -> {2:F3}", Path.GetFileName(e.Text), e.DensePerplexity, e.PrunedPerplexity));
        Log.LogMessage(MessageImportance.High, sb.ToString());
    }
}
