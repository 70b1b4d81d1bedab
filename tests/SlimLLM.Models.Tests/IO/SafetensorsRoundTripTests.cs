using SlimLLM.IO.Safetensors;
using SlimLLM.Tests.Support;
using TorchSharp;
using static SlimLLM.Tests.IO.SafetensorsTestFiles;

namespace SlimLLM.Tests.IO;

public class SafetensorsRoundTripTests : IDisposable
{
    private const string SharedModelSha256 = "187d0d5e8360d9625e40e0b35ec57d1ef0eea1a60ddcf09412246bed3484852f";
    private readonly TempDir _dir = TestData.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string ModelFile => Path.Combine(TestData.TinyStoriesLlama, "model.safetensors");

    [Fact]
    public void RewritingTheSharedHuggingFaceFileReproducesItByteForByte()
    {
        Assert.Equal(SharedModelSha256, Sha256(ModelFile));
        using var scope = torch.NewDisposeScope();
        using var source = new SafetensorsFile(ModelFile);
        var copy = _dir.File("model.safetensors");
        // Given in an order unlike the file's, so the writer's own sorting is what reproduces the layout.
        SafetensorsWriter.Write(copy, source.Names.Reverse().Select(n => (n, source.Load(n))), source.Metadata);
        Assert.Equal(SharedModelSha256, Sha256(copy));
    }

    [Fact]
    public void StreamingTheSharedFileThroughAProviderAlsoReproducesIt()
    {
        using var source = new SafetensorsFile(ModelFile);
        var copy = _dir.File("streamed.safetensors");
        var loads = 0;
        SafetensorsWriter.Write(copy, source.Entries.Select(e => e.Info), info => { loads++; return source.Load(info.Name); }, source.Metadata);
        Assert.Equal(20, loads);
        Assert.Equal(SharedModelSha256, Sha256(copy));
    }

    [Fact]
    public void OurOwnWriteReadWriteIsByteExact()
    {
        using var scope = torch.NewDisposeScope();
        var first = _dir.File("first.safetensors");
        SafetensorsWriter.Write(first,
        [
            ("layers.10.w", torch.linspace(-1, 1, 12).reshape(3, 4).to(torch.ScalarType.BFloat16)),
            ("layers.2.w", torch.linspace(-2, 2, 6).to(torch.ScalarType.Float16)),
            ("ids", torch.arange(5, dtype: torch.ScalarType.Int64)),
            ("mask", torch.tensor(new[] { true, false })),
            ("empty", torch.zeros(0, 4)),
            ("scalar", torch.tensor(2.5, dtype: torch.ScalarType.Float64)),
        ], [new("pruned_by", "SlimLLM"), new("ratio", "0.2")]);

        var second = _dir.File("second.safetensors");
        using (var read = new SafetensorsFile(first))
        {
            Assert.Equal(["format=pt", "pruned_by=SlimLLM", "ratio=0.2"], read.Metadata.Select(kv => $"{kv.Key}={kv.Value}"));
            Assert.Equal(["ids", "scalar", "empty", "layers.10.w", "layers.2.w", "mask"], read.Names);
            SafetensorsWriter.Write(second, read.Names.Select(n => (n, read.Load(n))), read.Metadata);
        }
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }
}
