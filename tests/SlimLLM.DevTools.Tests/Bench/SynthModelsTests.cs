using SlimLLM.DevTools.Bench;
using SlimLLM.Models;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Bench;

public class SynthModelsTests
{
    [Fact]
    public void A_synthetic_model_is_made_once_by_a_slimllm_dev_synth_child_and_then_reused()
    {
        using var work = TestData.NewTempDir("slimllm-synth-models");
        var spec = SynthSpec.Custom(64, 4, 2, 128, 2, "f32");
        var lines = new List<string>();
        var folder = SynthModels.Ensure(spec, work.Path, TestData.TinyStoriesLlama, ToolProcess.Self(), lines.Add);
        Assert.Equal(Path.Combine(work.Path, "models", spec.FolderName), folder);
        Assert.Contains(lines, l => l.StartsWith("generating ", StringComparison.Ordinal));
        using (var source = ModelLoader.Open(folder))
        {
            Assert.Equal(64, source.Config.HiddenSize);
            Assert.Equal(2, source.Config.Layers.Count);
        }

        lines.Clear();
        Assert.Equal(folder, SynthModels.Ensure(spec, work.Path, TestData.TinyStoriesLlama, ToolProcess.Self(), lines.Add));
        Assert.Equal([$"reusing {folder}"], lines);
    }

    [Fact]
    public void The_prunes_run_the_slimllm_beside_slimllm_dev()
    {
        var slimllm = ToolProcess.Slimllm();
        var dev = ToolProcess.Self();
        Assert.Equal("slimllm", Path.GetFileNameWithoutExtension(slimllm.Prefix.Count > 0 ? slimllm.Prefix[0] : slimllm.FileName));
        Assert.Equal("slimllm-dev", Path.GetFileNameWithoutExtension(dev.Prefix.Count > 0 ? dev.Prefix[0] : dev.FileName));
        foreach (var tool in new[] { slimllm, dev })
            Assert.Matches(@"^\d+\.\d+\.\d+", tool.Run(["--version"], _ => { }));
    }
}
