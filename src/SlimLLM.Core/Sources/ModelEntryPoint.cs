using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>Picks what ModelLoader opens among a set of files: the folder holding config.json, else the one .gguf file.</summary>
internal static class ModelEntryPoint
{
    /// <param name="root">Absolute folder the relative paths are under.</param>
    /// <param name="relativeFiles">Files present, relative to <paramref name="root"/>, '/'-separated.</param>
    /// <param name="what">Names the source in errors ("huggingface repo org/name", "package Id 1.0.0").</param>
    public static string Choose(string root, IReadOnlyCollection<string> relativeFiles, string what, string? searched = null)
    {
        var configs = relativeFiles.Where(f => FileName(f).Equals("config.json", StringComparison.Ordinal)).ToList();
        if (configs.Count > 0)
        {
            // The shallowest config.json: nested ones (e.g. in a subfolder of extras) do not describe the model.
            int depth = configs.Min(Depth);
            var top = configs.Where(c => Depth(c) == depth).ToList();
            if (top.Count > 1)
                throw new SlimLLMException(what, $"holds several model folders ({string.Join(", ", top)}).", "Narrow the selection so exactly one config.json remains.");
            return Path.GetFullPath(Path.Combine(root, Parent(top[0])));
        }
        var ggufs = relativeFiles.Where(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).ToList();
        if (ggufs.Count == 1)
            return Path.GetFullPath(Path.Combine(root, ggufs[0]));
        if (ggufs.Count > 1)
            throw new SlimLLMException(what, $"holds several .gguf files ({string.Join(", ", ggufs)}).", "Select exactly one .gguf file (the files: globs, or a package with one model).");
        throw new SlimLLMException(what, $"holds no model: no config.json and no .gguf file{(searched is null ? "" : " " + searched)}.", "Point the source at a Hugging Face model (config.json + safetensors) or a single .gguf file.");
    }

    private static string FileName(string relative) => relative[(relative.LastIndexOf('/') + 1)..];
    private static string Parent(string relative) => relative.LastIndexOf('/') is var i and >= 0 ? relative[..i] : "";
    private static int Depth(string relative) => relative.Count(c => c == '/');
}
