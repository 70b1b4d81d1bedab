using SlimLLM.Errors;
using SlimLLM.Runtime;

// Finds the model that the SlimLLM.Samples.Stories260K package put into this app's output (models/stories260k-slim/),
// lists its files, and tells a short story with it.
var folder = Path.Combine(AppContext.BaseDirectory, "models", "stories260k-slim");
if (!Directory.Exists(folder))
{
    Console.Error.WriteLine($"error: {folder} is missing. Pack samples/ModelPackage first (see README.md), then restore and build this app.");
    return 2;
}
Console.WriteLine($"model folder: {folder}");
foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
    Console.WriteLine($"  {Path.GetFileName(file)} ({new FileInfo(file).Length:N0} bytes)");

try
{
    using var model = SlimModel.Load(folder, args.Length > 0 ? args[0] : "auto");
    Console.WriteLine($"{model.Config.NumLayers} layers, {model.Config.ParameterCount:N0} parameters, on {model.Device}");
    Console.WriteLine("Once upon a time" + model.Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 48 }));
    return 0;
}
catch (SlimLLMException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
