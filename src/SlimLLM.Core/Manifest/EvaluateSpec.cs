namespace SlimLLM.Manifest;

/// <summary>
/// One <c>evaluate:</c> entry: perplexity of the dense and the pruned model on <see cref="Text"/> (absolute, exists), over
/// at most <see cref="MaxTokens"/> tokens (null: all) in windows of <see cref="SeqLen"/>. When
/// <see cref="MaxPerplexityIncrease"/> is set, the run fails if pruned/dense - 1 exceeds it.
/// </summary>
public sealed record EvaluateSpec(string Text, long? MaxTokens, int SeqLen, double? MaxPerplexityIncrease)
{
    public const int DefaultSeqLen = 128;
}
