using SlimLLM.Errors;

namespace SlimLLM.IO.Safetensors;

/// <summary>Opens a safetensors checkpoint from a model folder or a file.</summary>
public static class SafetensorsStore
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>
    /// A folder: its model.safetensors, else its model.safetensors.index.json (the order transformers tries them in).
    /// A file: a *.index.json opens as sharded, anything else as one safetensors file.
    /// </summary>
    public static ITensorStore Open(string folderOrFile)
    {
        if (Directory.Exists(folderOrFile))
        {
            var single = Path.Combine(folderOrFile, SingleFileName);
            if (File.Exists(single)) return new SafetensorsFile(single);
            var index = Path.Combine(folderOrFile, IndexFileName);
            if (File.Exists(index)) return new ShardedSafetensors(index);

            var others = Directory.EnumerateFiles(folderOrFile, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(5).ToList();
            var seen = others.Count == 0 ? "it has no .safetensors file at all" : "it has " + string.Join(", ", others);
            throw new SlimLLMException(folderOrFile, $"has neither {SingleFileName} nor {IndexFileName} ({seen}).",
                "Point at a Hugging Face model folder, or at the .safetensors file itself.");
        }
        if (!File.Exists(folderOrFile))
            throw new SlimLLMException(folderOrFile, "no such file or folder.", "Check the path.");
        return folderOrFile.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)
            ? new ShardedSafetensors(folderOrFile)
            : new SafetensorsFile(folderOrFile);
    }
}
