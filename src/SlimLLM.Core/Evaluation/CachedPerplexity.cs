using System.Security.Cryptography;
using System.Text;
using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Pipeline;
using SlimLLM.Progress;
using SlimLLM.Tokenization;

namespace SlimLLM.Evaluation;

/// <summary>An evaluation text of a run: read once, tokenized only when a perplexity on it is not cached.</summary>
public sealed class EvaluationText
{
    private readonly string _text;
    private readonly ITokenizer _tokenizer;
    private int[]? _tokens;

    public EvaluationText(EvaluationSpec spec, ITokenizer tokenizer)
    {
        Spec = spec;
        _tokenizer = tokenizer;
        _text = TextCorpus.Read(spec.Text);
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_text)));
    }

    public EvaluationSpec Spec { get; }
    /// <summary>SHA-256 of the text: the text's part of a perplexity's cache key.</summary>
    public string Hash { get; }
    /// <summary>Tokenizing a long text takes a second or more: done on first use.</summary>
    public int[] Tokens => _tokens ??= Perplexity.Tokenize(_tokenizer, _text, Spec.MaxTokens);
}

/// <summary>
/// Streamed perplexities (<see cref="StreamingPerplexity"/>) cached under the dense model's fingerprint and a key of the
/// measured model's layers (the dense model, the pruning engine's chain of stored layers, or that and the tuning's key).
/// </summary>
public sealed class CachedPerplexity(ComputeDevice compute, IStatisticsCache cache, string? modelFingerprint, IProgressReporter progress)
{
    /// <summary>The perplexity of the model <paramref name="open"/> gives on <paramref name="text"/>; never cached when <paramref name="layers"/> is null.</summary>
    public double Measure(EvaluationText text, string? layers, Func<IModelSource> open, string phase)
    {
        var spec = text.Spec;
        string? key = modelFingerprint is null || layers is null ? null : new CacheKey().Add("what", "perplexity").Add("algorithm", Pruning.PruningAlgorithm.Version)
            .Add("model", modelFingerprint).Add("layers", layers).Add("text", text.Hash).Add("seq_len", spec.SeqLen).Add("max_tokens", spec.MaxTokens ?? -1)
            .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString()).Hash();
        if (key is not null && cache.TryGet("perplexity", key) is { } hit)
        {
            using var t = hit["perplexity"];
            return t.item<double>();
        }
        using var source = open();
        var ppl = StreamingPerplexity.Evaluate(source, text.Tokens, spec.SeqLen, compute, progress: progress, phase: phase).Perplexity;
        if (key is not null)
            using (var t = TorchSharp.torch.tensor(ppl, TorchSharp.torch.ScalarType.Float64))
                cache.Put("perplexity", key, new Dictionary<string, TorchSharp.torch.Tensor> { ["perplexity"] = t });
        return ppl;
    }
}
