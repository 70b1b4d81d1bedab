namespace SlimLLM.Tokenization;

/// <summary>Text to token ids and back, for one model's vocabulary.</summary>
public interface ITokenizer : IDisposable
{
    /// <summary>Number of ids the tokenizer can produce (largest id + 1).</summary>
    int VocabSize { get; }
    /// <summary>Beginning-of-sequence id, or null when the model has none (Qwen2-style vocabularies).</summary>
    int? BosId { get; }
    int? EosId { get; }

    /// <summary>
    /// Token ids of <paramref name="text"/>. With <paramref name="addBos"/> the result starts with exactly one BOS (when the
    /// model has one); without it the result holds no BOS that the tokenizer added on its own. No EOS is ever appended.
    /// </summary>
    int[] Encode(string text, bool addBos);

    /// <summary>The text of <paramref name="ids"/>, leaving out BOS and EOS.</summary>
    string Decode(IReadOnlyList<int> ids);
}
