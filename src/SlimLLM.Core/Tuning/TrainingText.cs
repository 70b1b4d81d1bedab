using System.Security.Cryptography;
using SlimLLM.Calibration;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Tokenization;

namespace SlimLLM.Tuning;

/// <summary>
/// The tuning text as token ids: the files concatenated (in the given order, separated by a blank line) and tokenized once;
/// the last <see cref="TuningSettings.HeldOutFraction"/> of the tokens are held out. Training batches are windows of
/// seq_len (BOS and seq_len-1 consecutive tokens) drawn from the training part with the seed; the loss of start and end is
/// measured on fixed, non-overlapping windows of each part.
/// </summary>
public sealed class TrainingText
{
    /// <summary>The most windows the start and end losses are measured on, per part: enough for a stable mean, cheap beside training.</summary>
    public const int MaxLossWindows = 32;

    private readonly int[] _train, _heldOut;
    private readonly int _bos, _seqLen;

    private TrainingText(int[] train, int[] heldOut, int bos, int seqLen, string fingerprint)
    {
        _train = train;
        _heldOut = heldOut;
        _bos = bos;
        _seqLen = seqLen;
        Fingerprint = fingerprint;
    }

    public int TrainingTokens => _train.Length;
    public int HeldOutTokens => _heldOut.Length;
    /// <summary>SHA-256 of every token id and of the split: identifies the training data in the cache key.</summary>
    public string Fingerprint { get; }

    public static TrainingText FromFiles(ITokenizer tokenizer, IReadOnlyList<string> files, TuningSettings settings, string? settingsSource = null)
    {
        if (files.Count == 0)
            throw new SlimLLMException(settingsSource, "no tuning text files were given.", "Name at least one UTF-8 text file to tune on (tuning.files, or --text).");
        var text = string.Join("\n\n", files.Select(TextCorpus.Read));
        string source = string.Join(", ", files);
        int bos = tokenizer.BosId ?? throw new SlimLLMException(source, "the model's tokenizer has no BOS token; tuning windows start with BOS.");
        return FromTokens(tokenizer.Encode(text, addBos: false), bos, settings, source);
    }

    public static TrainingText FromTokens(IReadOnlyList<int> tokens, int bos, TuningSettings settings, string source = "tuning text")
    {
        int heldOut = (int)Math.Round(tokens.Count * settings.HeldOutFraction);
        int body = settings.SeqLen - 1, train = tokens.Count - heldOut;
        if (train < body || heldOut < body)
        {
            int needed = (int)Math.Ceiling(body / Math.Min(settings.HeldOutFraction, 1 - settings.HeldOutFraction));
            throw new SlimLLMException(source,
                $"has {tokens.Count:N0} tokens: too few for training and held-out windows of {settings.SeqLen} tokens with held_out_fraction {settings.HeldOutFraction} (at least {needed:N0} are needed).",
                "Add tuning text, or lower tuning.seq_len.");
        }
        var all = tokens.ToArray();
        return new TrainingText(all[..train], all[train..], bos, settings.SeqLen, Hash(all, train));
    }

    /// <summary>The windows of training step after step: <paramref name="batchSize"/> random windows per step from a stream fixed by <paramref name="seed"/>.</summary>
    public IEnumerable<long[]> TrainingBatches(int batchSize, int seed)
    {
        var rng = new DeterministicRandom((ulong)seed);
        int body = _seqLen - 1;
        while (true)
        {
            var batch = new long[batchSize * _seqLen];
            for (int b = 0; b < batchSize; b++)
            {
                long start = rng.NextLong(_train.Length - body + 1);
                batch[b * _seqLen] = _bos;
                for (int i = 0; i < body; i++) batch[b * _seqLen + 1 + i] = _train[start + i];
            }
            yield return batch;
        }
    }

    /// <summary>Non-overlapping windows from the start of the training part, at most <see cref="MaxLossWindows"/>, as one flat array.</summary>
    public long[] TrainingLossWindows() => Windows(_train);

    /// <summary>Non-overlapping windows of the held-out part, at most <see cref="MaxLossWindows"/>, as one flat array.</summary>
    public long[] HeldOutWindows() => Windows(_heldOut);

    private long[] Windows(int[] part)
    {
        int body = _seqLen - 1, count = Math.Min(MaxLossWindows, part.Length / body);
        var flat = new long[count * _seqLen];
        for (int w = 0; w < count; w++)
        {
            flat[w * _seqLen] = _bos;
            for (int i = 0; i < body; i++) flat[w * _seqLen + 1 + i] = part[w * body + i];
        }
        return flat;
    }

    private static string Hash(int[] tokens, int split)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buf = stackalloc byte[4];
        BitConverter.TryWriteBytes(buf, split); sha.AppendData(buf);
        foreach (var t in tokens) { BitConverter.TryWriteBytes(buf, t); sha.AppendData(buf); }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
