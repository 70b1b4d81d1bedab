namespace SlimLLM.Compute.NativeBackend;

/// <summary>Where a located backend's native files are: absolute paths in load order, and how they were found (for logs and doctor).</summary>
public sealed record BackendLocation(BackendKind Kind, string Folder, IReadOnlyList<string> LoadOrder, string FoundBy);
