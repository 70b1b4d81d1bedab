namespace SlimLLM.Tokenization;

public interface ITokenizer
{
    int[] Encode(string text, bool addBos);
    string Decode(IReadOnlyList<int> ids);
    int VocabSize { get; }
    int? BosId { get; }
    int? EosId { get; }
}
