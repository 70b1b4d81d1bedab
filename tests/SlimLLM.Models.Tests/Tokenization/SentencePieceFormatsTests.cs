using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// The stories260K vocabulary in the two other forms a LLaMA tokenizer comes in: a Hugging Face tokenizer.json with
/// byte fallback (run by the Rust library) and a SentencePiece tokenizer.model. Both must agree with the GGUF tokenizer,
/// whose ids are pinned against the real SentencePiece library in <see cref="Stories260KGgufTokenizerTests"/>.
/// </summary>
public class SentencePieceFormatsTests
{
    [Fact]
    public void Tokenizer_json_with_byte_fallback_encodes_like_the_gguf_vocabulary_on_every_corpus_line()
    {
        using var dir = TestData.NewTempDir();
        using var file = GgufFile.Open(TestData.Stories260KGguf);
        SentencePieceTokenizerJson.Write(file.Metadata, dir.Path);
        using var hf = TokenizerLoader.FromFolder(dir.Path);
        using var gguf = TokenizerLoader.FromGguf(file);
        Assert.IsType<HuggingFaceTokenizer>(hf);
        Assert.Equal((512, 1, 2), (hf.VocabSize, hf.BosId, hf.EosId));

        Assert.Equal([1, 410, 469, 198, 191, 325, 402, 410, 243, 162, 155, 131], hf.Encode("Zürich 😀", addBos: true));
        Assert.Equal("Zürich 😀", hf.Decode([1, 410, 469, 198, 191, 325, 402, 410, 243, 162, 155, 131, 2]));
        foreach (var path in new[] { TestData.TinyStoriesValid, TestData.WikiText2Test, TestData.CorpusEn })
        {
            Assert.Equal(TokenizerCorpus.Fingerprint(gguf, path, addBos: true), TokenizerCorpus.Fingerprint(hf, path, addBos: true));
            Assert.Empty(TokenizerCorpus.RoundTripFailures(hf, path));
        }
    }

    [Fact]
    public void Tokenizer_model_file_rebuilt_from_gguf_loads_from_a_folder_and_encodes_identically()
    {
        using var dir = TestData.NewTempDir();
        using var file = GgufFile.Open(TestData.Stories260KGguf);
        var proto = GgufVocabulary.ToSentencePiece(file.Metadata);
        File.WriteAllBytes(dir.File("tokenizer.model"), proto.ToBytes());

        using var fromModel = TokenizerLoader.FromFolder(dir.Path);
        using var fromGguf = TokenizerLoader.FromGguf(file);
        Assert.IsType<SentencePieceBpeTokenizer>(fromModel);
        Assert.Equal((512, 1, 2), (fromModel.VocabSize, fromModel.BosId, fromModel.EosId));
        Assert.Equal(TokenizerCorpus.Fingerprint(fromGguf, TestData.CorpusEn, addBos: true), TokenizerCorpus.Fingerprint(fromModel, TestData.CorpusEn, addBos: true));
    }

    [Fact]
    public void Model_proto_round_trips_pieces_ids_and_flags()
    {
        using var file = GgufFile.Open(TestData.Stories260KGguf);
        var proto = GgufVocabulary.ToSentencePiece(file.Metadata);
        Assert.True(proto.ByteFallback);
        Assert.Equal(SentencePieceModelProto.PieceType.Byte, proto.Pieces[3].Type);
        Assert.Equal("<0x00>", proto.Pieces[3].Text);

        var back = SentencePieceModelProto.Parse(proto.ToBytes(), "x");
        Assert.Equal(proto.Pieces, back.Pieces);
        Assert.Equal((SentencePieceModelProto.BpeModel, 0, 1, 2, -1), (back.ModelType, back.UnkId, back.BosId, back.EosId, back.PadId));
        Assert.Equal((true, true, false, true, "identity"), (back.ByteFallback, back.AddDummyPrefix, back.RemoveExtraWhitespaces, back.EscapeWhitespaces, back.NormalizerName));
        Assert.Equal(-143f, back.Pieces[402].Score); // "ch": the converter stored -(id - 259) as the merge priority
    }

    [Fact]
    public void Unigram_and_garbage_model_files_are_rejected()
    {
        using var dir = TestData.NewTempDir();
        using var file = GgufFile.Open(TestData.Stories260KGguf);
        var proto = GgufVocabulary.ToSentencePiece(file.Metadata);
        proto.ModelType = SentencePieceModelProto.UnigramModel;
        var unigram = dir.File("tokenizer.model");
        File.WriteAllBytes(unigram, proto.ToBytes());
        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Equal(unigram, e.File);
        Assert.Equal("is a SentencePiece Unigram model; only BPE models (LLaMA-style) are supported.", e.Cause);

        File.WriteAllBytes(unigram, [0x0A, 0x7F, 1, 2]);
        Assert.Equal("is not a SentencePiece model: a field of 127 bytes at byte 2 runs past the end",
            Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path)).Cause);
    }
}
