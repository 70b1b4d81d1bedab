using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;

namespace SlimLLM.Build;

/// <summary>
/// The report `slimllm prune MANIFEST --json` prints on stdout, version <see cref="Version"/> (docs/msbuild.md): per model
/// the result, and on a failure the errors. Only the parts the build uses are read (DataContractJsonSerializer: nothing to
/// ship with the task).
/// </summary>
[DataContract]
public sealed class ToolReport
{
    /// <summary>The report version this task reads.</summary>
    public const int SupportedVersion = 1;

    [DataMember(Name = "version")] public int Version { get; set; }
    [DataMember(Name = "models")] public List<ReportedModel> Models { get; set; } = new();
    [DataMember(Name = "warnings")] public List<ReportedDiagnostic> Warnings { get; set; } = new();
    [DataMember(Name = "errors")] public List<ReportedDiagnostic> Errors { get; set; } = new();

    /// <exception cref="SerializationException">Not JSON of this shape.</exception>
    public static ToolReport Parse(string json)
    {
        var serializer = new DataContractJsonSerializer(typeof(ToolReport));
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var report = (ToolReport)serializer.ReadObject(stream);
        // Absent lists deserialize as null (the serializer skips constructors).
        report.Models ??= new List<ReportedModel>();
        report.Warnings ??= new List<ReportedDiagnostic>();
        report.Errors ??= new List<ReportedDiagnostic>();
        return report;
    }
}

/// <summary>An error or a warning of the report: the message (cause and fix) and, when known, where and the tool's code.</summary>
[DataContract]
public sealed class ReportedDiagnostic
{
    [DataMember(Name = "message")] public string Message { get; set; } = "";
    [DataMember(Name = "code")] public string? Code { get; set; }
    [DataMember(Name = "file")] public string? File { get; set; }
    [DataMember(Name = "line")] public int? Line { get; set; }
    [DataMember(Name = "column")] public int? Column { get; set; }
}
