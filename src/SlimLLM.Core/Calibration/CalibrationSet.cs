using System.Security.Cryptography;
using SlimLLM.Errors;
using SlimLLM.Tokenization;

namespace SlimLLM.Calibration;

/// <summary>
/// Calibration sequences: <c>samples</c> windows of <c>seq_len</c> tokens, each BOS followed by seq_len-1 consecutive
/// tokens of the calibration text, at start positions drawn with a fixed seed (the paper's 32 x 128 by default).
/// </summary>
public sealed class CalibrationSet
{
    private CalibrationSet(int[][] sequences, int seed)
    {
        Sequences = sequences;
        Seed = seed;
        Fingerprint = ComputeFingerprint(sequences);
    }

    public IReadOnlyList<int[]> Sequences { get; }
    public int Seed { get; }
    public int Samples => Sequences.Count;
    public int SeqLen => Sequences[0].Length;
    public long TokenCount => (long)Samples * SeqLen;
    /// <summary>SHA-256 of the token ids: identifies the calibration data in cache keys and provenance.</summary>
    public string Fingerprint { get; }

    /// <summary>Draws samples from a token stream (without BOS) of the calibration text.</summary>
    public static CalibrationSet Sample(IReadOnlyList<int> textTokens, int bosId, int samples, int seqLen, int seed, string source = "calibration text")
    {
        if (samples < 1) throw new SlimLLMException(null, $"calibration samples must be at least 1 (got {samples}).");
        if (seqLen < 2) throw new SlimLLMException(null, $"calibration seq_len must be at least 2 (got {seqLen}).");
        int body = seqLen - 1;
        if (textTokens.Count < body)
            throw new SlimLLMException(source, $"has {textTokens.Count} tokens, fewer than one calibration sample of {seqLen}.",
                "Add more calibration text or lower seq_len.");
        var rng = new DeterministicRandom((ulong)seed);
        var sequences = new int[samples][];
        for (int s = 0; s < samples; s++)
        {
            long start = rng.NextLong(textTokens.Count - body + 1);
            var seq = new int[seqLen];
            seq[0] = bosId;
            for (int i = 0; i < body; i++) seq[i + 1] = textTokens[(int)start + i];
            sequences[s] = seq;
        }
        return new CalibrationSet(sequences, seed);
    }

    public static CalibrationSet FromText(ITokenizer tokenizer, string text, int samples, int seqLen, int seed, string source = "calibration text")
    {
        int bos = tokenizer.BosId ?? throw new SlimLLMException(source, "the model's tokenizer has no BOS token; calibration samples start with BOS.");
        return Sample(tokenizer.Encode(text, addBos: false), bos, samples, seqLen, seed, source);
    }

    /// <summary>All sequences as one flat array, sample after sample.</summary>
    public long[] Flatten() => Sequences.SelectMany(s => s.Select(t => (long)t)).ToArray();

    private static string ComputeFingerprint(int[][] sequences)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buf = stackalloc byte[4];
        foreach (var s in sequences)
        {
            BitConverter.TryWriteBytes(buf, s.Length); sha.AppendData(buf);
            foreach (var t in s) { BitConverter.TryWriteBytes(buf, t); sha.AppendData(buf); }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
