using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// Byte-level BPE tokenizer.json files in the LLaMA-3 and Qwen2 layouts (see <see cref="ByteLevelBpeFixture"/>).
/// Expected ids were worked out by hand from the ten merges and confirmed with @huggingface/tokenizers 0.2.0 under node.
/// </summary>
public class ByteLevelBpeTokenizerTests
{
    private static ITokenizer Load(TempDir dir, Action<string> write)
    {
        write(dir.Path);
        return TokenizerLoader.FromFolder(dir.Path);
    }

    [Theory]
    [InlineData("hello world", new[] { 259, 264 })]                            // "hello", "Ġworld"
    [InlineData("Hello world!\n", new[] { 72, 101, 257, 111, 264, 33, 10 })]    // H e ll o Ġworld ! Ċ (no "H e" merge)
    [InlineData("café", new[] { 99, 97, 102, 265 })]                            // é is bytes C3 A9, merged as "Ã©"
    [InlineData("😀", new[] { 240, 159, 152, 128 })]                            // four raw bytes
    public void Llama3_style_known_ids(string text, int[] withoutBos)
    {
        using var dir = TestData.NewTempDir();
        using var tok = Load(dir, ByteLevelBpeFixture.WriteLlama3Style);
        Assert.Equal((268, 266, 267), (tok.VocabSize, tok.BosId, tok.EosId));
        Assert.True(((HuggingFaceTokenizer)tok).AddBosByDefault);
        Assert.Equal(withoutBos, tok.Encode(text, addBos: false));
        Assert.Equal([266, .. withoutBos], tok.Encode(text, addBos: true));
        Assert.Equal(text, tok.Decode([266, .. withoutBos, 267]));
    }

    [Fact]
    public void Qwen2_style_has_no_bos_even_though_config_json_names_one()
    {
        using var dir = TestData.NewTempDir();
        using var tok = Load(dir, ByteLevelBpeFixture.WriteQwen2Style);
        Assert.Equal((268, (int?)null, (int?)266), (tok.VocabSize, tok.BosId, tok.EosId));
        Assert.False(((HuggingFaceTokenizer)tok).AddBosByDefault);
        Assert.Equal([259, 264], tok.Encode("hello world", addBos: true));
        Assert.Equal([259, 264], tok.Encode("hello world", addBos: false));
        // Added special tokens written in the text are matched as tokens; decoding leaves EOS out.
        Assert.Equal([266, 104, 105], tok.Encode("<|endoftext|>hi", addBos: false));
        Assert.Equal("hi", tok.Decode([266, 104, 105]));
    }

    [Fact]
    public void Every_wikitext_line_round_trips_through_bytes()
    {
        using var dir = TestData.NewTempDir();
        using var tok = Load(dir, ByteLevelBpeFixture.WriteLlama3Style);
        var lines = TokenizerCorpus.Lines(TestData.WikiText2Test);
        Assert.Contains(lines, l => l.Any(c => c > 0x7F)); // the check covers multi-byte characters
        Assert.Empty(TokenizerCorpus.RoundTripFailures(tok, TestData.WikiText2Test));
    }
}
