using System.CommandLine;

namespace SlimLLM.Tool.Commands;

public static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Model: a Hugging Face folder (config.json + safetensors) or a .gguf file.",
        Required = true,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "auto | cpu | cuda | cuda:N (auto takes CUDA when a CUDA libtorch and a GPU are present).",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on stdout." };
}
