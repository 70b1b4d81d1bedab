using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// The SentencePiece vocabulary inside stories260K.gguf. Reference ids come from the real SentencePiece library
/// (@agnai/sentencepiece-js 1.1.1, its C++ compiled to WebAssembly) run with node on a tokenizer.model rebuilt from the
/// GGUF vocabulary by a separate Python script; the "dragon" sentence is also the published llama2.c / llama-tokenize
/// encoding of this model. Corpus fingerprints are SHA-256 hashes of those reference encodings.
/// </summary>
public sealed class Stories260KGgufTokenizerTests : IDisposable
{
    private readonly GgufFile _file = GgufFile.Open(TestData.Stories260KGguf);
    private readonly ITokenizer _tok;

    public Stories260KGgufTokenizerTests() => _tok = TokenizerLoader.FromGguf(_file);

    public void Dispose()
    {
        _tok.Dispose();
        _file.Dispose();
    }

    [Fact]
    public void Vocabulary_and_special_ids_come_from_the_metadata()
    {
        var spm = Assert.IsType<SentencePieceBpeTokenizer>(_tok);
        Assert.Equal(512, _tok.VocabSize);
        Assert.Equal(1, _tok.BosId);
        Assert.Equal(2, _tok.EosId);
        Assert.Equal(0, spm.UnknownId);
        Assert.True(spm.AddBosByDefault);
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl named Lily.", new[] { 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426 })]
    [InlineData("Once upon a time, there was a little dragon", new[] { 403, 407, 261, 378, 432, 383, 286, 261, 376, 279, 420, 412, 428, 289 })]
    [InlineData("The cat sat on the mat.", new[] { 291, 280, 294, 262, 294, 353, 265, 284, 294, 426 })]
    [InlineData(" Hi\nthere  ", new[] { 410, 320, 417, 13, 413, 260, 276, 410, 410 })]
    [InlineData("<s>", new[] { 410, 504, 419, 505 })]
    [InlineData("Zürich 😀", new[] { 410, 469, 198, 191, 325, 402, 410, 243, 162, 155, 131 })]
    public void Known_ids_match_sentencepiece(string text, int[] withoutBos)
    {
        Assert.Equal(withoutBos, _tok.Encode(text, addBos: false));
        Assert.Equal([1, .. withoutBos], _tok.Encode(text, addBos: true));
        Assert.Equal(text, _tok.Decode([1, .. withoutBos, 2]));
    }

    [Fact]
    public void Decode_of_hand_picked_ids()
    {
        Assert.Equal("Once upon a time", _tok.Decode([1, 403, 407, 261, 378]));
        Assert.Equal("The cat", _tok.Decode([291, 280, 294]));
        Assert.Equal("😀", _tok.Decode([243, 162, 155, 131])); // <0xF0> <0x9F> <0x98> <0x80>
        Assert.Equal("Zü", _tok.Decode([410, 469, 198, 191])); // leading ▁ is the dummy prefix and is dropped
        Assert.Equal("\n", _tok.Decode([13])); // <0x0A>
        Assert.Equal("", _tok.Decode([1, 2]));
        Assert.Empty(_tok.Encode("", addBos: false));
        Assert.Equal([1], _tok.Encode("", addBos: true));
    }

    [Theory]
    [InlineData("tinystories", "cc82951bf3721199422c9153323443133e1bbc2464e24dc9a48c0d1a4534012b", 19, 15507)]
    [InlineData("wikitext", "4a1cbf8a5b9131b5428f990c5044e5d753f29c92f7e1a5a76d522a92f06281cb", 2891, 806354)]
    [InlineData("corpus", "cbec9e5316c09ae73ae299c69e226c2ca15dadca87c82f76c1a0c6ff01a02c2f", 1015, 80747)]
    public void Corpus_matches_sentencepiece_and_round_trips(string corpus, string sha256, int lines, long tokens)
    {
        var path = TokenizerCorpus.Named(corpus);
        Assert.Equal((sha256, lines, tokens), TokenizerCorpus.Fingerprint(_tok, path, addBos: false));
        Assert.Empty(TokenizerCorpus.RoundTripFailures(_tok, path));
    }
}
