namespace SlimLLM.DevTools.Bench;

/// <summary>
/// Synthetic checkpoints under the benchmark's work folder, generated once by <c>slimllm-dev synth</c> and reused while the synth
/// arguments that made them (kept in NAME.synth-args beside the folder) are unchanged.
/// </summary>
public static class SynthModels
{
    public static string Ensure(SynthSpec spec, string workDir, string tokenizerFrom, ToolProcess devTool, Action<string> progress)
    {
        var models = Path.Combine(workDir, "models");
        var folder = Path.Combine(models, spec.FolderName);
        var stamp = folder + ".synth-args";
        var args = spec.Arguments(Path.GetFullPath(tokenizerFrom));
        var key = string.Join('\n', args);
        if (File.Exists(stamp) && File.ReadAllText(stamp) == key && File.Exists(Path.Combine(folder, "config.json")))
        {
            progress($"reusing {folder}");
            return folder;
        }
        Directory.CreateDirectory(models);
        File.Delete(stamp);
        progress($"generating {folder}");
        devTool.Run([.. args, "--out", folder], progress);
        File.WriteAllText(stamp, key);
        return folder;
    }
}
