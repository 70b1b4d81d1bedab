using static TorchSharp.torch;

namespace SlimLLM.Runtime;

/// <summary>Picks the next token from float32 logits: argmax, or temperature and top-p (nucleus) sampling with a seeded draw.</summary>
internal sealed class TokenSampler
{
    private readonly GenerationOptions _options;
    private readonly Random _random;

    public TokenSampler(GenerationOptions options)
    {
        _options = options;
        _random = options.Seed is int seed ? new Random(seed) : new Random();
    }

    public int Next(Tensor logits)
    {
        if (_options.Temperature == 0)
            return (int)logits.argmax().item<long>();
        var values = logits.data<float>().ToArray();
        return Sample(values, _options.Temperature, _options.TopP, _random.NextDouble());
    }

    /// <summary>
    /// Samples from softmax(logits / temperature) restricted to the smallest set of most likely tokens whose probability
    /// reaches <paramref name="topP"/> (the top token always stays). <paramref name="uniform"/> is the draw in [0, 1).
    /// </summary>
    internal static int Sample(float[] logits, double temperature, double topP, double uniform)
    {
        double max = logits.Max();
        var probs = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probs[i] = Math.Exp((logits[i] - max) / temperature);
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
        int kept = 0;
        double mass = 0;
        while (kept < order.Length && (kept == 0 || mass < topP * sum)) mass += probs[order[kept++]];
        double target = uniform * mass, acc = 0;
        for (int j = 0; j < kept; j++)
        {
            acc += probs[order[j]];
            if (target < acc) return order[j];
        }
        return order[kept - 1];
    }
}
