namespace SlimLLM.DevTools.Bench;

/// <summary>Finds the shared data folder (models/ and text/): SLIMLLM_SHARED_DATA, else shared/data in a folder above the current one or the tool's.</summary>
public static class SharedData
{
    public static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("SLIMLLM_SHARED_DATA");
        if (!string.IsNullOrWhiteSpace(env)) return env;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data");
                if (Directory.Exists(Path.Combine(candidate, "models"))) return candidate;
            }
        return null;
    }
}
