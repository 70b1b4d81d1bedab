using System.Text.Json;

// `dotnet FakeSlimLLM.dll ARGS`, run by the SlimLLMPrune task in place of slimllm.dll: writes ARGS to fake-slimllm.args,
// adds a line to fake-slimllm.runs, and does what fake-slimllm.json in the working directory (the manifest's folder) says:
// {"stderr": ["line", ...], "stdout": "the report", "sleep_ms": 0, "honour_cancel": false, "exit": 0}.
File.WriteAllLines("fake-slimllm.args", args);
File.AppendAllText("fake-slimllm.runs", "run\n");
var script = JsonDocument.Parse(File.ReadAllText("fake-slimllm.json")).RootElement;
if (script.TryGetProperty("stderr", out var stderr))
    foreach (var line in stderr.EnumerateArray()) Console.Error.WriteLine(line.GetString());
if (script.TryGetProperty("sleep_ms", out var sleep))
{
    // "honour_cancel": stop as slimllm does when the task creates the file SLIMLLM_CANCEL_FILE names.
    bool honour = script.TryGetProperty("honour_cancel", out var h) && h.GetBoolean();
    var cancelFile = Environment.GetEnvironmentVariable("SLIMLLM_CANCEL_FILE");
    var until = DateTime.UtcNow.AddMilliseconds(sleep.GetInt32());
    while (DateTime.UtcNow < until)
    {
        if (honour && cancelFile is not null && File.Exists(cancelFile))
        {
            File.WriteAllText("fake-slimllm.cancelled", cancelFile);
            Console.Error.WriteLine("the build was cancelled: stopping at the next safe point");
            return 130;
        }
        Thread.Sleep(20);
    }
}
if (script.TryGetProperty("stdout", out var stdout)) Console.Out.Write(stdout.GetString());
return script.TryGetProperty("exit", out var exit) ? exit.GetInt32() : 0;
