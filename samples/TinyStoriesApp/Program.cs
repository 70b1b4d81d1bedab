using SlimLLM.Errors;
using SlimLLM.Runtime;

// Loads the pruned model that SlimLLM.Build put in the output folder (models/tinystories-slim/) during dotnet build,
// prints each decoder layer's sizes, and tells a story with it.
//   dotnet run --project samples/TinyStoriesApp [-- "prompt" [max-new-tokens]]
var folder = Path.Combine(AppContext.BaseDirectory, "models", "tinystories-slim");
if (!File.Exists(Path.Combine(folder, "config.json")))
{
    Console.Error.WriteLine($"error: {folder}/config.json is missing. Build the app with SlimLLM enabled (dotnet build) so the pruned model is copied there.");
    return 2;
}
var prompt = args.Length > 0 ? args[0] : "Once upon a time";
int maxNewTokens = args.Length > 1 && int.TryParse(args[1], out var n) && n > 0 ? n : 96;

try
{
    using var model = SlimModel.Load(folder);
    var config = model.Config;
    Console.WriteLine($"{folder}: hidden_size {config.HiddenSize}, {config.NumLayers} layers, {config.ParameterCount:N0} parameters, on {model.Device}");
    for (int i = 0; i < config.NumLayers; i++)
    {
        var layer = config.Layers[i];
        Console.WriteLine($"  layer {i}: {layer.NumHeads} heads, {layer.NumKeyValueHeads} kv heads, intermediate {layer.IntermediateSize}");
    }
    Console.WriteLine();
    Console.Write(prompt);
    foreach (var piece in model.GenerateStreaming(prompt, new GenerationOptions { MaxNewTokens = maxNewTokens, Temperature = 0.8, TopP = 0.9, Seed = 42 }))
        Console.Write(piece);
    Console.WriteLine();
    return 0;
}
catch (SlimLLMException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
