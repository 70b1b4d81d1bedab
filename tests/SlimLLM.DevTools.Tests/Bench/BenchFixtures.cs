using SlimLLM.Models;
using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

/// <summary>Hand-made prune --json outputs (with and without the per-layer and memory fields) and LLaMA-7B-shaped configs.</summary>
internal static class BenchFixtures
{
    public const string WithoutNewFields = """
        {"models":[{"name":"pruned","output":"/tmp/pruned","forward_passes":28,"cache":{"hits":0,"misses":5},
          "timings":{"load":0.25,"calibration forward":2.5,"cache":0.001,"statistics":3.25,"selection":0.5,"regression":0.25,
                     "write":1.25,"fingerprint":0.0,"total_seconds":8.0},
          "parameters":{"before":1,"after":1},"evaluation":[]}]}
        """;

    /// <summary>Layers 0 and 1 pruned (extra/forward 2.0 and 1.0; with the statistics passes 3.0 and 1.5), layer 2 not (no extra work).</summary>
    public const string WithNewFields = """
        {"models":[{"name":"pruned","output":"/tmp/pruned","forward_passes":28,"cache":{"hits":0,"misses":5},
          "timings":{"load":0.25,"calibration forward":2.5,"cache":0.001,"statistics forward":1.5,"statistics":3.25,"selection":0.5,
                     "regression":0.25,"write":1.25,"fingerprint":0.0,"total_seconds":9.5},
          "parameters":{"before":1,"after":1},"evaluation":[],
          "peak_rss_bytes":1234567890,
          "layers":[{"layer":0,"forward_seconds":1.0,"statistics_forward_seconds":1.0,"statistics_seconds":1.5,"selection_seconds":0.25,"regression_seconds":0.25},
                    {"layer":1,"forward_seconds":1.0,"statistics_forward_seconds":0.5,"statistics_seconds":1.0,"selection_seconds":0.0,"regression_seconds":0.0},
                    {"layer":2,"forward_seconds":0.5,"statistics_seconds":0.0,"selection_seconds":0.0,"regression_seconds":0.0}]}]}
        """;

    public static ModelConfig Llama7B(int layers) => new()
    {
        Architecture = "LlamaForCausalLM", HiddenSize = 4096, VocabSize = 32000, HeadDim = 128,
        Layers = Enumerable.Repeat(new DecoderLayerConfig(32, 32, 11008, ProjectionBiases.None), layers).ToList(),
    };

    public static BenchResult Result(string label, string json, int samples = 32, int seqLen = 128) => new(
        new BenchCase { Group = "llama-7b", Name = label, Synth = SynthSpec.Named("llama-7b", 3, "bf16", 32000), Samples = samples, SeqLen = seqLen },
        label, Llama7B(3), PruneRun.Parse(json));
}
