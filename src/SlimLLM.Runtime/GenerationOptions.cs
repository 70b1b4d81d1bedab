namespace SlimLLM.Runtime;

/// <summary>How <see cref="SlimModel"/> picks the next tokens.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to generate at most (fewer when EOS comes first or the model's position table ends).</summary>
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>0 picks the most likely token (greedy); above 0 samples from softmax(logits / temperature).</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus sampling: sample only among the most likely tokens whose probabilities add up to at least this. 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Seed of the sampler; the same seed, prompt and options give the same text. Null: a different draw each time.</summary>
    public int? Seed { get; init; }
    /// <summary>Stop once the model emits its end-of-sequence token (which is not part of the returned text).</summary>
    public bool StopAtEos { get; init; } = true;

    public static GenerationOptions Greedy { get; } = new();

    internal void Validate()
    {
        if (MaxNewTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be 0 or more.");
        if (double.IsNaN(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be 0 (greedy) or more.");
        if (double.IsNaN(TopP) || TopP <= 0 || TopP > 1)
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
    }
}
