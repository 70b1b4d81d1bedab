using System.Diagnostics;
using System.Text.Json;

namespace SlimLLM.Runtime.Tests.Support;

/// <summary>
/// A per-layer pruned TinyStories model (30% of the decoder parameters removed), made once per test run by the
/// repository's slimllm tool in a separate process, in a temporary folder removed afterwards.
/// </summary>
public sealed class PrunedModelFixture : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"slimllm-runtime-{Guid.NewGuid():N}");

    public PrunedModelFixture()
    {
        Folder = Path.Combine(_root, "tinystories-pruned");
        Directory.CreateDirectory(_root);
        var tool = TestData.ToolDll;
        if (!File.Exists(tool))
            throw new InvalidOperationException($"{tool} is missing; build src/SlimLLM.Tool first (the test project builds it).");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _root,
        };
        foreach (var arg in new[] { tool, "prune", "--model", TestData.TinyStoriesLlama, "--calibration", TestData.TinyStoriesValid,
                                    "--target", "0.3", "--out", Folder, "--no-cache" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("slimllm prune did not finish in 5 minutes.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"slimllm prune exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "config.json")));
        Layers = config.RootElement.GetProperty("slimllm_layers").EnumerateArray()
            .Select(l => (l.GetProperty("num_attention_heads").GetInt32(), l.GetProperty("num_key_value_heads").GetInt32(),
                          l.GetProperty("intermediate_size").GetInt32()))
            .ToArray();
    }

    public string Folder { get; }
    /// <summary>Each layer's (heads, KV heads, FFN width) as written in config.json's slimllm_layers.</summary>
    public (int Heads, int KvHeads, int Intermediate)[] Layers { get; }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
