using System.Text.Json;

// `dotnet FakeSlimLLM.dll ARGS`, run by the SlimLLMPrune task in place of slimllm.dll: writes ARGS to fake-slimllm.args,
// adds a line to fake-slimllm.runs, and does what fake-slimllm.json in the working directory (the manifest's folder) says:
// {"stderr": ["line", ...], "stdout": "the report", "sleep_ms": 0, "exit": 0}.
File.WriteAllLines("fake-slimllm.args", args);
File.AppendAllText("fake-slimllm.runs", "run\n");
var script = JsonDocument.Parse(File.ReadAllText("fake-slimllm.json")).RootElement;
if (script.TryGetProperty("stderr", out var stderr))
    foreach (var line in stderr.EnumerateArray()) Console.Error.WriteLine(line.GetString());
if (script.TryGetProperty("sleep_ms", out var sleep)) Thread.Sleep(sleep.GetInt32());
if (script.TryGetProperty("stdout", out var stdout)) Console.Out.Write(stdout.GetString());
return script.TryGetProperty("exit", out var exit) ? exit.GetInt32() : 0;
