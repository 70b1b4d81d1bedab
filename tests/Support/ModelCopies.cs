using System.Text.Json.Nodes;
using SlimLLM.IO.Safetensors;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Support;

/// <summary>Copies of the shared tiny model (tinystories-llama) with their config or tensors changed.</summary>
internal static class ModelCopies
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];

    /// <summary>The shared tiny model with its config.json edited (weights and tokenizer copied unchanged).</summary>
    public static TempDir WithConfig(Action<JsonObject> edit)
    {
        var dir = TestData.NewTempDir();
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        return dir;
    }

    /// <summary>Copies the shared model with its tensors transformed by <paramref name="map"/> and its config edited.</summary>
    public static void Transformed(string dest, Func<string, Tensor, (string, Tensor)?> map, Action<JsonObject>? editConfig = null, long maxShardBytes = 2_000_000_000)
    {
        Directory.CreateDirectory(dest);
        foreach (var f in TokenizerFiles) File.Copy(Path.Combine(TestData.TinyStoriesLlama, f), Path.Combine(dest, f));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.TinyStoriesLlama, "config.json")))!.AsObject();
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(dest, "config.json"), config.ToJsonString());
        using var store = SafetensorsStore.Open(TestData.TinyStoriesLlama);
        var tensors = new List<(string, Tensor)>();
        foreach (var name in store.Names)
        {
            var mapped = map(name, store.Load(name));
            if (mapped is { } m) tensors.Add(m);
        }
        SafetensorsShardedWriter.Write(dest, tensors, null, maxShardBytes);
        foreach (var (_, t) in tensors) t.Dispose();
    }
}
