namespace SlimLLM.Export;

/// <summary>What <see cref="GgufExporter.Export"/> wrote.</summary>
/// <param name="Architecture">llama.cpp architecture: "llama" (all layers the same size) or "deci" (per-layer sizes).</param>
public sealed record GgufExportResult(string Path, string Architecture, GgufOutputType Type, int TensorCount, int VocabularySize, long FileBytes);
