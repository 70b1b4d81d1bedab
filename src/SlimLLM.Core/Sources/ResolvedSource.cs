namespace SlimLLM.Sources;

/// <summary>
/// A model made local: <see cref="LocalPath"/> is a folder with config.json or a .gguf file that ModelLoader.Open reads;
/// <see cref="Description"/> says in words where it came from (for logs); <see cref="Origin"/> names a fetched model the same way on
/// every machine (<c>nuget:Id@version</c>, <c>huggingface:org/name@commit</c>) for slimllm.json, null for a local path.
/// </summary>
public sealed record ResolvedSource(string LocalPath, string Description, string? Origin = null);
