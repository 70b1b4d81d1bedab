using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Evaluation;

public sealed record PerplexityResult(double Perplexity, double MeanNll, int Windows, int SeqLen, long Tokens, long PredictedTokens);

/// <summary>
/// Perplexity as the paper measures it: the text tokenized once with BOS at the very start only, cut into consecutive
/// non-overlapping windows of seq_len tokens (a final partial window is dropped), each window run independently;
/// perplexity = exp(mean NLL of tokens 2..seq_len of every window).
/// </summary>
public static class Perplexity
{
    public static int[] Tokenize(ITokenizer tokenizer, string text, long? maxTokens = null)
    {
        var ids = tokenizer.Encode(text, addBos: true);
        return maxTokens is long n && n < ids.Length ? ids[..(int)n] : ids;
    }

    public static PerplexityResult Evaluate(LlamaModel model, int[] tokens, int seqLen = 128, int batchSize = 8, IProgressReporter? progress = null, string phase = "perplexity")
    {
        var batches = WindowBatches(tokens, seqLen, batchSize);
        var nll = new NllSum(seqLen);
        using var _ = no_grad();
        int windows = tokens.Length / seqLen, done = 0;
        progress?.Report(phase, 0, windows);
        foreach (var ids in batches)
        {
            using var scope = NewDisposeScope();
            nll.Add(model.Logits(ids), ids);
            progress?.Report(phase, done += (int)ids.shape[0], windows);
        }
        foreach (var ids in batches) ids.Dispose();
        return nll.Result();
    }

    /// <summary>The token ids of the windows, <paramref name="batchSize"/> windows to a [nb, seqLen] int64 tensor (the caller disposes them).</summary>
    public static List<Tensor> WindowBatches(int[] tokens, int seqLen, int batchSize)
    {
        if (seqLen < 2) throw new ArgumentOutOfRangeException(nameof(seqLen), "seq_len must be at least 2");
        int windows = tokens.Length / seqLen;
        if (windows == 0)
            throw new Errors.SlimLLMException(null, $"the text has {tokens.Length} tokens, fewer than one window of {seqLen}.", "Use a longer text or a smaller --seq-len.");
        var batches = new List<Tensor>();
        for (int w0 = 0; w0 < windows; w0 += batchSize)
        {
            int nb = Math.Min(batchSize, windows - w0);
            batches.Add(tensor(tokens.AsSpan(w0 * seqLen, nb * seqLen).ToArray().Select(t => (long)t).ToArray(), [nb, seqLen], dtype: ScalarType.Int64));
        }
        return batches;
    }

    /// <summary>The summed negative log-likelihood of tokens 2..seq_len of every window, batch by batch.</summary>
    public sealed class NllSum(int seqLen)
    {
        private double _sum;
        private long _count, _windows;

        /// <summary>Adds one batch: <paramref name="logits"/> [nb, seqLen, vocab] (float32) for token ids [nb, seqLen].</summary>
        public void Add(Tensor logits, Tensor ids)
        {
            using var scope = NewDisposeScope();
            var pred = logits.narrow(1, 0, seqLen - 1).reshape(-1, logits.shape[2]);
            var target = ids.narrow(1, 1, seqLen - 1).reshape(-1).to(logits.device);
            _sum += F.cross_entropy(pred, target, reduction: nn.Reduction.Sum).to(ScalarType.Float64).item<double>();
            _count += ids.shape[0] * (seqLen - 1);
            _windows += ids.shape[0];
        }

        public PerplexityResult Result()
        {
            double mean = _sum / _count;
            return new PerplexityResult(Math.Exp(mean), mean, (int)_windows, seqLen, _windows * seqLen, _count);
        }
    }
}
