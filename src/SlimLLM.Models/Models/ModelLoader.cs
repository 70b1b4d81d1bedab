using SlimLLM.Errors;

namespace SlimLLM.Models;

/// <summary>Opens a model from a Hugging Face folder or a .gguf file.</summary>
public static class ModelLoader
{
    public static IModelSource Open(string path)
    {
        if (Directory.Exists(path))
            return new HuggingFaceModelSource(path);
        if (File.Exists(path))
        {
            if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
                return new GgufModelSource(path);
            throw new SlimLLMException(path, "is neither a model folder nor a .gguf file.", "Pass a Hugging Face model folder (with config.json) or a .gguf file.");
        }
        throw new SlimLLMException(path, "no such file or folder.", "Check the model path.");
    }
}
