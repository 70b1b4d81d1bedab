using SlimLLM.Export;
using SlimLLM.IO.Gguf;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Export;

/// <summary>The model.gguf a prune writes layer by layer is the file <c>slimllm export</c> makes of the finished folder.</summary>
public class StreamedGgufTests
{
    [Theory]
    [InlineData("tinystories-llama", GgufOutputType.F16)]
    [InlineData("tinystories-llama", GgufOutputType.BF16)]
    [InlineData("stories260k", GgufOutputType.F32)]
    [InlineData("stories260k", GgufOutputType.F16)]
    public void The_gguf_written_while_pruning_is_byte_identical_to_an_export_of_the_finished_folder(string model, GgufOutputType type)
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("slim");
        var job = new PruneJob
        {
            Name = "slim", ModelPath = model == "stories260k" ? TestData.Stories260KGguf : TestData.TinyStoriesLlama,
            CalibrationFiles = [TestData.TinyStoriesValid], Samples = 8, SeqLen = 64,
            Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.3) }, OutputDir = output, Device = "cpu",
            ExportGguf = true, GgufType = type,
        };
        new PrunePipeline().Run(job);
        var streamed = Path.Combine(output, "model.gguf");
        var exported = GgufExporter.Export(output, dir.File("exported.gguf"), type, modelName: "slim");
        using (var file = GgufFile.Open(streamed))
            Assert.Equal(GgufTensorEncoding.MatrixType(type), file.Entry("blk.0.ffn_down.weight").Type);
        Assert.Equal(new FileInfo(exported.Path).Length, new FileInfo(streamed).Length);
        Assert.True(File.ReadAllBytes(streamed).AsSpan().SequenceEqual(File.ReadAllBytes(exported.Path)), "model.gguf differs from the export");
    }
}
