using System.Text.Json;

// Reads the pruned model's config.json from the output folder (models/tinystories-slim/, put there by SlimLLM.Build
// during dotnet build) and prints each decoder layer's sizes. No TorchSharp here: generating text needs
// SlimLLM.Runtime, which does not exist yet.
var folder = Path.Combine(AppContext.BaseDirectory, "models", "tinystories-slim");
var configPath = Path.Combine(folder, "config.json");
if (!File.Exists(configPath))
{
    Console.Error.WriteLine($"error: {configPath} is missing. Build the app with SlimLLM enabled (dotnet build) so the pruned model is copied there.");
    return 2;
}
using var config = JsonDocument.Parse(File.ReadAllText(configPath));
var root = config.RootElement;
Console.WriteLine($"{folder}: hidden_size {root.GetProperty("hidden_size").GetInt32()}, {root.GetProperty("num_hidden_layers").GetInt32()} layers");
if (root.TryGetProperty("slimllm_layers", out var layers))
{
    int i = 0;
    foreach (var layer in layers.EnumerateArray())
        Console.WriteLine($"  layer {i++}: {layer.GetProperty("num_attention_heads").GetInt32()} heads, " +
                          $"{layer.GetProperty("num_key_value_heads").GetInt32()} kv heads, intermediate {layer.GetProperty("intermediate_size").GetInt32()}");
}
else
{
    Console.WriteLine($"  every layer: {root.GetProperty("num_attention_heads").GetInt32()} heads, {root.GetProperty("num_key_value_heads").GetInt32()} kv heads, " +
                      $"intermediate {root.GetProperty("intermediate_size").GetInt32()}");
}
return 0;
