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
        if (seqLen < 2) throw new ArgumentOutOfRangeException(nameof(seqLen), "seq_len must be at least 2");
        int windows = tokens.Length / seqLen;
        if (windows == 0)
            throw new Errors.SlimLLMException(null, $"the text has {tokens.Length} tokens, fewer than one window of {seqLen}.", "Use a longer text or a smaller --seq-len.");
        double nllSum = 0;
        long count = 0;
        using var _ = no_grad();
        progress?.Report(phase, 0, windows);
        for (int w0 = 0; w0 < windows; w0 += batchSize)
        {
            using var scope = NewDisposeScope();
            int nb = Math.Min(batchSize, windows - w0);
            var ids = tensor(tokens.AsSpan(w0 * seqLen, nb * seqLen).ToArray().Select(t => (long)t).ToArray(), [nb, seqLen], dtype: ScalarType.Int64);
            var logits = model.Logits(ids);
            var pred = logits.narrow(1, 0, seqLen - 1).reshape(-1, logits.shape[2]);
            var target = ids.narrow(1, 1, seqLen - 1).reshape(-1).to(logits.device);
            var nll = F.cross_entropy(pred, target, reduction: nn.Reduction.Sum).to(ScalarType.Float64);
            nllSum += nll.item<double>();
            count += nb * (seqLen - 1);
            progress?.Report(phase, Math.Min(w0 + nb, windows), windows);
        }
        double mean = nllSum / count;
        return new PerplexityResult(Math.Exp(mean), mean, windows, seqLen, (long)windows * seqLen, count);
    }
}
