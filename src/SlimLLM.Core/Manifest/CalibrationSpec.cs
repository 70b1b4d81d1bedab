using SlimLLM.Pruning.Engine;

namespace SlimLLM.Manifest;

/// <summary>
/// Calibration data: <see cref="Files"/> are the absolute, existing files the <see cref="Patterns"/> matched, sorted
/// ordinally and without duplicates, so the same manifest always reads the same text in the same order.
/// </summary>
public sealed record CalibrationSpec(
    IReadOnlyList<string> Patterns,
    IReadOnlyList<string> Files,
    int Samples,
    int SeqLen,
    int Seed,
    CalibrationMode Mode,
    int BatchSize)
{
    public const int DefaultSamples = 32;
    public const int DefaultSeqLen = 128;
    public const int DefaultSeed = 42;
    public const int DefaultBatchSize = 8;
}
