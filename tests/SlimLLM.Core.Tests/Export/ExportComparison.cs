using SlimLLM.Evaluation;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>Our forward and llama.cpp's on the same tokens: logits side by side, and perplexity by the same window protocol.</summary>
internal static class ExportComparison
{
    public static readonly string[] Prompts =
    [
        "Once upon a time, there was a little girl named Lily.",
        "Tom and his dog went to the park. They saw a big red ball and",
        "\"Can I play too?\" asked the little bird.",
    ];

    /// <summary>Our logits [T, vocab] for one sequence.</summary>
    public static float[][] OurLogits(LlamaModel model, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length], dtype: ScalarType.Int64);
        var logits = model.Logits(input)[0].contiguous();
        var flat = logits.data<float>().ToArray();
        var vocab = (int)logits.shape[1];
        return Enumerable.Range(0, ids.Length).Select(t => flat.AsSpan(t * vocab, vocab).ToArray()).ToArray();
    }

    public static double MaxAbsDiff(float[][] a, float[][] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} rows against {b.Length}.");
        double max = 0;
        for (int t = 0; t < a.Length; t++)
        {
            if (a[t].Length != b[t].Length) throw new ArgumentException($"row {t}: {a[t].Length} logits against {b[t].Length}.");
            for (int v = 0; v < a[t].Length; v++) max = Math.Max(max, Math.Abs((double)a[t][v] - b[t][v]));
        }
        return max;
    }

    public static int ArgMax(float[] row) => Array.IndexOf(row, row.Max());

    /// <summary>
    /// Perplexity from llama.cpp's logits with <see cref="Perplexity.Evaluate"/>'s protocol: consecutive non-overlapping windows
    /// of <paramref name="seqLen"/> tokens (a partial tail dropped), each run alone; tokens 2..seqLen of each window predicted.
    /// </summary>
    public static PerplexityResult LlamaCppPerplexity(LlamaCppModel model, int[] tokens, int seqLen = 128)
    {
        int windows = tokens.Length / seqLen;
        double nll = 0;
        long count = 0;
        for (int w = 0; w < windows; w++)
        {
            var window = tokens.AsSpan(w * seqLen, seqLen);
            var logits = model.Logits(window);
            for (int t = 0; t < seqLen - 1; t++)
            {
                nll += LogSumExp(logits[t]) - logits[t][window[t + 1]];
                count++;
            }
        }
        var mean = nll / count;
        return new PerplexityResult(Math.Exp(mean), mean, windows, seqLen, (long)windows * seqLen, count);
    }

    public static PerplexityResult OurPerplexity(LlamaModel model, int[] tokens, int seqLen = 128) => Perplexity.Evaluate(model, tokens, seqLen);

    private static double LogSumExp(float[] row)
    {
        double max = row.Max();
        double sum = 0;
        foreach (var x in row) sum += Math.Exp(x - max);
        return max + Math.Log(sum);
    }
}
