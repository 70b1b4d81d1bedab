using System.Reflection;
using System.Text.Json;

namespace SlimLLM.Build.Tasks.Tests;

/// <summary>
/// A folder with a slimllm.yaml and the script FakeSlimLLM.dll follows when the task runs it there: what to print on stderr
/// and stdout, how long to sleep and the exit code. Deleted with the test.
/// </summary>
public sealed class FakeTool : IDisposable
{
    public static string Assembly { get; } = typeof(FakeTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FakeSlimLLM").Value!;

    // As the tool writes its report: absent, not null, when a value is unknown.
    private static readonly JsonSerializerOptions WithoutNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), $"slimllm-task-{Guid.NewGuid():N}");
    public string Manifest => Path.Combine(Dir, "slimllm.yaml");
    public string Stamp => Path.Combine(Dir, "obj", "slimllm", "slimllm.stamp");
    /// <summary>The arguments the fake was run with; null when it did not run.</summary>
    public string[]? Args => File.Exists(Path.Combine(Dir, "fake-slimllm.args")) ? File.ReadAllLines(Path.Combine(Dir, "fake-slimllm.args")) : null;

    public FakeTool()
    {
        Directory.CreateDirectory(Dir);
        File.WriteAllText(Manifest, "models: []\n");
    }

    /// <summary>What the fake does when run: print <paramref name="report"/> (a string as is, else as JSON) on stdout, and so on.</summary>
    public void Script(object? report, int exit = 0, string[]? stderr = null, int sleepMs = 0, bool honourCancel = false)
    {
        string stdout = report switch { null => "", string s => s, _ => JsonSerializer.Serialize(report, WithoutNulls) };
        File.WriteAllText(Path.Combine(Dir, "fake-slimllm.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["stdout"] = stdout, ["stderr"] = stderr ?? [], ["sleep_ms"] = sleepMs, ["honour_cancel"] = honourCancel, ["exit"] = exit,
        }));
    }

    /// <summary>The cancel file the fake saw appear (it then stopped with exit 130); null when it saw none.</summary>
    public string? CancelFileSeen => File.Exists(Path.Combine(Dir, "fake-slimllm.cancelled")) ? File.ReadAllText(Path.Combine(Dir, "fake-slimllm.cancelled")) : null;

    /// <summary>How many times the fake ran here.</summary>
    public int Runs => File.Exists(Path.Combine(Dir, "fake-slimllm.runs")) ? File.ReadAllLines(Path.Combine(Dir, "fake-slimllm.runs")).Length : 0;

    public string PathOf(string relative) => Path.Combine(Dir, relative);

    public SlimLLMPrune Task(RecordingBuildEngine engine) => new()
    {
        BuildEngine = engine,
        Manifest = Manifest,
        ToolAssembly = Assembly,
        Stamp = Stamp,
        Device = "cpu",
    };

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
