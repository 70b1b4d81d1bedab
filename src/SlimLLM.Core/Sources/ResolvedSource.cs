namespace SlimLLM.Sources;

/// <summary>
/// A model made local: <see cref="LocalPath"/> is a folder with config.json or a .gguf file that ModelLoader.Open reads;
/// <see cref="Description"/> says in words where it came from (for logs and provenance).
/// </summary>
public sealed record ResolvedSource(string LocalPath, string Description);
