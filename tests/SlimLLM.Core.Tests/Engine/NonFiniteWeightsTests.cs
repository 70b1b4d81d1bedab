using System.Buffers.Binary;
using System.Text.Json.Nodes;
using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Engine;

/// <summary>
/// Non-finite weights end in one error naming the file and the tensor as it is loaded, not in an ArgumentException from the
/// ratio planner (issue 13 finding 6, "NaN weights"; found again by the fuzz test as a GGUF tensor whose type was changed
/// from F32 to F16). The engine's own check of the hidden states stays behind it as a second line.
/// </summary>
public class NonFiniteWeightsTests
{
    private static PruneJob Job(string model, string output) => new()
    {
        Name = "x", ModelPath = model, CalibrationFiles = [TestData.TinyStoriesValid], Samples = 2, SeqLen = 16, Device = "cpu",
        OutputDir = output, Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2) },
    };

    private static void AssertNotFiniteError(string file, string output, string tensor)
    {
        var e = Assert.Throws<SlimLLMException>(() => new PrunePipeline().Run(Job(Path.GetExtension(file) == ".gguf" ? file : Path.GetDirectoryName(file)!, output)));
        Assert.Equal(Path.GetFullPath(file), e.File);
        Assert.StartsWith($"tensor '{tensor}' holds ", e.Cause);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void NaN_in_a_safetensors_weight_is_an_error_naming_the_model()
    {
        using var dir = TestData.NewTempDir();
        var model = dir.CopyOfTinyStoriesLlama();
        var path = Path.Combine(model, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, headerLength))!;
        var begin = header["model.layers.1.mlp.up_proj.weight"]!["data_offsets"]![0]!.GetValue<long>();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + headerLength + (int)begin), float.NaN);
        File.WriteAllBytes(path, bytes);
        AssertNotFiniteError(path, dir.File("out"), "model.layers.1.mlp.up_proj.weight");
    }

    [Fact]
    public void Gguf_tensor_declared_f16_over_f32_bytes_is_an_error_naming_the_model()
    {
        using var dir = TestData.NewTempDir();
        var bytes = File.ReadAllBytes(TestData.Stories260KGguf);
        var info = GgufPatch.TensorInfoAt(bytes, "blk.3.attn_output.weight");
        var dims = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(info));
        GgufPatch.WriteU32(bytes, info + 4 + 8 * dims, (uint)GgmlType.F16);
        var model = dir.File("model.gguf");
        File.WriteAllBytes(model, bytes);
        AssertNotFiniteError(model, dir.File("out"), "blk.3.attn_output.weight");
    }
}
