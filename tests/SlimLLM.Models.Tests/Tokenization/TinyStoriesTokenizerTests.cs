using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// The shared tinystories-llama tokenizer.json (SentencePiece-style BPE, BOS added by its TemplateProcessing).
/// Expected ids come from @huggingface/tokenizers 0.2.0 (a separate JavaScript implementation) run with node on the same files.
/// </summary>
public sealed class TinyStoriesTokenizerTests : IDisposable
{
    private const string Lily = "Once upon a time, there was a little girl named Lily.";
    private readonly ITokenizer _tok = TokenizerLoader.FromFolder(TestData.TinyStoriesLlama);

    public void Dispose() => _tok.Dispose();

    [Fact]
    public void Vocabulary_and_special_ids_come_from_the_folder()
    {
        var hf = Assert.IsType<HuggingFaceTokenizer>(_tok);
        Assert.Equal(2048, _tok.VocabSize);
        Assert.Equal(1, _tok.BosId);
        Assert.Equal(2, _tok.EosId);
        Assert.True(hf.AddBosByDefault);
        Assert.EndsWith("tokenizer.json", hf.Path);
    }

    [Theory]
    [InlineData(Lily, new[] { 80, 147, 201, 282, 215, 286, 598, 629, 10 })]
    [InlineData("The cat sat on the mat.", new[] { 80, 247, 411, 1214, 337, 175, 72, 10 })]
    [InlineData("Tom and Sue went to the park to play.", new[] { 80, 875, 566, 1482, 1727, 10 })]
    [InlineData("She said, \"Hi!\"\nHe smiled.", new[] { 80, 892, 204, 1158, 572, 810, 1069, 10 })]
    public void Known_ids_with_and_without_bos(string text, int[] withoutBos)
    {
        Assert.Equal(withoutBos, _tok.Encode(text, addBos: false));
        Assert.Equal([1, .. withoutBos], _tok.Encode(text, addBos: true));
        Assert.Equal(text, _tok.Decode(withoutBos));
    }

    [Fact]
    public void Bos_appears_exactly_once_and_only_when_asked()
    {
        Assert.Equal([1], _tok.Encode("", addBos: true));
        Assert.Empty(_tok.Encode("", addBos: false));
        var ids = _tok.Encode(Lily, addBos: true);
        Assert.Single(ids, id => id == 1);
        Assert.Equal(1, ids[0]);
        Assert.DoesNotContain(1, _tok.Encode(Lily, addBos: false));
    }

    [Fact]
    public void Decode_skips_bos_and_eos()
    {
        Assert.Equal(Lily, _tok.Decode([1, 80, 147, 201, 282, 215, 286, 598, 629, 10, 2]));
        Assert.Equal("", _tok.Decode([1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tok.Decode([2048]));
    }

    [Fact]
    public void Tinystories_valid_matches_the_reference_encoding_and_round_trips()
    {
        var (sha, lines, tokens) = TokenizerCorpus.Fingerprint(_tok, TestData.TinyStoriesValid, addBos: true);
        Assert.Equal(19, lines);
        Assert.Equal(7957, tokens);
        Assert.Equal("51492466676095cb13d14d1bd6392265226e374d9eb28a52ccd0265e3cc63158", sha);
        Assert.Empty(TokenizerCorpus.RoundTripFailures(_tok, TestData.TinyStoriesValid));
    }

    [Fact]
    public void Characters_outside_the_vocabulary_become_unknown()
    {
        // This vocabulary declares byte_fallback but has no <0xNN> pieces, so é cannot be represented.
        Assert.Equal([80, 0], _tok.Encode("é", addBos: false));
    }
}
