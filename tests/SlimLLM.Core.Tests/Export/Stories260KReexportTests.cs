using SlimLLM.Evaluation;
using SlimLLM.Export;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>stories260K.gguf read by our reader and written again: same tensors, same vocabulary, and llama.cpp runs it.</summary>
public class Stories260KReexportTests(ITestOutputHelper output)
{
    [Fact]
    public void Reexport_keeps_every_tensor_and_the_vocabulary_and_llama_cpp_matches_our_forward()
    {
        using var dir = TestData.NewTempDir("slimllm-gguf-260k");
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var result = GgufExporter.Export(TestData.Stories260KGguf, dir.File("stories260K-again.gguf"), GgufOutputType.F32);
        Assert.Equal("llama", result.Architecture);

        using (var original = GgufFile.Open(TestData.Stories260KGguf))
        using (var again = GgufFile.Open(result.Path))
        {
            Assert.Equal(original.Names.Order(), again.Names.Order());
            foreach (var name in original.Names)
            {
                using var a = original.Load(name);
                using var b = again.Load(name);
                Assert.True(TensorAssert.Same(a, b), $"{name} differs");
            }
            foreach (var key in original.Metadata.Keys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal)))
                Assert.Equal(original.Metadata[key].Value, again.Metadata[key].Value);
            Assert.Equal(original.Metadata.GetInt("llama.attention.head_count_kv"), again.Metadata.GetInt("llama.attention.head_count_kv"));
        }

        using var ours = LlamaModel.Load(source, CPU, ScalarType.Float32);
        using var cpp = new LlamaCppModel(result.Path);
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = source.Tokenizer.Encode(prompt, addBos: true);
            Assert.Equal(ids, cpp.Tokenize(prompt, addBos: true));
            var diff = ExportComparison.MaxAbsDiff(ExportComparison.OurLogits(ours, ids), cpp.Logits(ids));
            output.WriteLine($"{prompt}: max |logit difference| {diff:E3}");
            Assert.InRange(diff, 0, DenseGgufExportTests.F32LogitTolerance);
        }

        var tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid));
        Assert.Equal(tokens, cpp.Tokenize(TextCorpus.Read(TestData.TinyStoriesValid), addBos: true));
        var theirs = ExportComparison.LlamaCppPerplexity(cpp, tokens);
        output.WriteLine($"perplexity llama.cpp {theirs.Perplexity:F5} (ours pinned at 5.97841)");
        Assert.InRange(theirs.Perplexity, 5.97841 * 0.999, 5.97841 * 1.001);
    }
}
