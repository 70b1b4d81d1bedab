using System.Security.Cryptography;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// A SentencePiece tokenizer.model without byte fallback: the stories260K vocabulary less its 256 &lt;0xNN&gt; pieces.
/// SentencePiece turns each run of characters missing from the vocabulary into one &lt;unk&gt; (issue 13 finding 9: we
/// emitted one per character, so "\n\n" gave two ids). Reference ids come from the real SentencePiece library
/// (Debian python3-sentencepiece 0.1.97) via build/reference/sentencepiece_ids.py, run on exactly the model bytes this
/// test writes (their SHA-256 is pinned below).
/// </summary>
public sealed class SentencePieceUnknownRunsTests : IDisposable
{
    private const string ModelSha256 = "d7a1fe8f3d3d29e6e3708c43effc7e1b0a34a61954557a06e663897eec12842a";
    private readonly TempDir _dir = TestData.NewTempDir();
    private readonly SentencePieceBpeTokenizer _tok;

    public SentencePieceUnknownRunsTests()
    {
        var path = _dir.File("tokenizer.model");
        File.WriteAllBytes(path, ModelBytes());
        _tok = SentencePieceBpeTokenizer.FromModelFile(path);
    }

    public void Dispose()
    {
        _tok.Dispose();
        _dir.Dispose();
    }

    internal static byte[] ModelBytes()
    {
        using var file = GgufFile.Open(TestData.Stories260KGguf);
        var proto = GgufVocabulary.ToSentencePiece(file.Metadata);
        proto.Pieces.RemoveAll(p => p.Type == SentencePieceModelProto.PieceType.Byte);
        proto.ByteFallback = false;
        return proto.ToBytes();
    }

    [Fact]
    public void Model_bytes_are_the_ones_the_reference_ids_were_made_from()
    {
        Assert.Equal(ModelSha256, Convert.ToHexStringLower(SHA256.HashData(ModelBytes())));
        Assert.Equal((256, 0, 1, 2), (_tok.VocabSize, _tok.UnknownId, _tok.BosId, _tok.EosId));
    }

    [Theory]
    [InlineData("\n\n", new[] { 154, 0 })]
    [InlineData("\n", new[] { 154, 0 })]
    [InlineData("Hi\n\nthere", new[] { 64, 161, 0, 157, 4, 20 })]
    [InlineData("a\n \nb", new[] { 5, 0, 154, 0, 174 })]
    [InlineData(" Hi\nthere  ", new[] { 154, 64, 161, 0, 157, 4, 20, 154, 154 })]
    [InlineData("Zürich 😀", new[] { 154, 213, 0, 69, 146, 154, 0 })]
    [InlineData("ü😀", new[] { 154, 0 })]
    [InlineData("日本語 テキスト", new[] { 154, 0, 154, 0 })]
    [InlineData("x\t\ty", new[] { 154, 188, 0, 166 })]
    [InlineData("<s>", new[] { 154, 248, 163, 249 })]
    [InlineData("Once upon a time, there was a little girl named Lily.", new[] { 147, 151, 5, 122, 176, 127, 30, 5, 120, 42, 59, 165, 139, 61, 170 })]
    public void Runs_of_unknown_characters_become_one_unk_as_in_sentencepiece(string text, int[] withoutBos)
    {
        Assert.Equal(withoutBos, _tok.Encode(text, addBos: false));
        Assert.Equal([1, .. withoutBos], _tok.Encode(text, addBos: true));
    }

    [Theory]
    [InlineData("tinystories", "ceae7f130e542dbe7542ea6fe868a105424ef1d224cfecd7d868547c54d87ad9", 19, 15507)]
    [InlineData("wikitext", "ed5226af67ed33818bc62e30d4ad13a2b28a6aea5d72f7fc7a2b864e28f802c7", 2891, 805617)]
    [InlineData("corpus", "a66d389e9e5cc0152d985f51cdb5dc4d7dd285712d7ce67ddaceb56c46452ea6", 1015, 80619)]
    public void Corpus_matches_sentencepiece(string corpus, string sha256, int lines, long tokens)
    {
        var path = TokenizerCorpus.Named(corpus);
        Assert.Equal((sha256, lines, tokens), TokenizerCorpus.Fingerprint(_tok, path, addBos: false));
    }
}
