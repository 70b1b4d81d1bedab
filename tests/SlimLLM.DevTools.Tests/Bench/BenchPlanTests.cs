using SlimLLM.Errors;
using SlimLLM.DevTools.Bench;

namespace SlimLLM.Tests.Bench;

public class BenchPlanTests
{
    [Fact]
    public void All_expands_to_shared_rebuild_llama_7b_and_scaling_with_the_shared_8_layer_case_run_once()
    {
        var plan = BenchPlan.Create("all", "/data");
        Assert.Equal(["shared tinystories-llama", "shared stories260k", "rebuild", "llama-7b L2", "scaling L4", "scaling L8", "scaling L8 T/2"],
            plan.Cases.Select(c => c.Name));
        Assert.Equal("/data/models/stories260k/stories260K.gguf", plan.Cases[1].ModelPath);
        var sevenB = plan.Cases[3];
        Assert.Equal(("llama-7b", 2, "bf16", 32000, 2), (sevenB.Synth!.Shape, sevenB.Synth.Layers, sevenB.Synth.DType, sevenB.Synth.Vocab, sevenB.PrunedLayers));
        Assert.Equal([(32, 128), (32, 128), (16, 128)], plan.Cases.Skip(4).Select(c => (c.Samples, c.SeqLen)));
        Assert.Equal(["layers 4 -> 8: scaling L4 / scaling L8 x2", "tokens 16x128 -> 32x128: scaling L8 T/2 / scaling L8 x2"],
            plan.Pairs.Select(p => $"{p.What}: {p.Smaller} / {p.Larger} x{p.Expected}"));
    }

    [Fact]
    public void One_shared_model_can_be_picked_and_sizes_overridden()
    {
        var plan = BenchPlan.Create("shared:tinystories-llama", "/data", 4, 32);
        var c = Assert.Single(plan.Cases);
        Assert.Equal(("shared tinystories-llama", "/data/models/tinystories-llama", 4, 32, (int?)null), (c.Name, c.ModelPath, c.Samples, c.SeqLen, c.PrunedLayers));
        Assert.Equal("llama-7b L16", Assert.Single(BenchPlan.Create("memory", "/data").Cases).Name);
    }

    [Fact]
    public void Unknown_case_names_the_choices()
    {
        var e = Assert.Throws<SlimLLMException>(() => BenchPlan.Create("shared,gpt", "/data"));
        Assert.Equal("unknown benchmark case 'gpt'. Use a comma list of: shared, rebuild, llama-7b, scaling, memory, evaluate, tune, all, or shared:tinystories-llama|stories260k, or evaluate:TOKENS (at least 128), or tune:BATCH.", e.Message);
        Assert.Throws<SlimLLMException>(() => BenchPlan.Create("evaluate:100", "/data"));
    }

    [Fact]
    public void The_evaluate_case_prunes_a_4_layer_7b_shape_with_perplexity_on_8192_tokens_or_as_many_as_asked()
    {
        var c = Assert.Single(BenchPlan.Create("evaluate", "/data").Cases);
        Assert.Equal(("llama-7b L4 eval 8192", "llama-7b", 4, "bf16", 32000, 4, 8192), (c.Name, c.Synth!.Shape, c.Synth.Layers, c.Synth.DType, c.Synth.Vocab, c.PrunedLayers, c.EvaluateTokens));
        Assert.Equal(2048, Assert.Single(BenchPlan.Create("evaluate:2048", "/data").Cases).EvaluateTokens);
        Assert.Null(Assert.Single(BenchPlan.Create("memory", "/data").Cases).EvaluateTokens);
    }

    [Fact]
    public void Synthetic_models_get_distinct_folders_and_the_synth_arguments_that_make_them()
    {
        var custom = SynthSpec.Custom(1024, 16, 4, 2816, 8, "f32");
        Assert.Equal("custom-h1024-a16-kv4-f2816-L8-f32", custom.FolderName);
        Assert.Equal("llama-7b-L2-bf16-v32000", SynthSpec.Named("llama-7b", 2, "bf16", 32000).FolderName);
        Assert.Equal(["synth", "--shape", "custom", "--layers", "8", "--dtype", "f32", "--tokenizer-from", "/tok", "--seed", "0",
                      "--hidden", "1024", "--heads", "16", "--kv-heads", "4", "--ffn", "2816"], custom.Arguments("/tok"));
    }
}
