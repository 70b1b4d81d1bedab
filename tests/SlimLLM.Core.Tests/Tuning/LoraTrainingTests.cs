using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using SlimLLM.Testing;
using SlimLLM.Tuning;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Tuning;

public class LoraTrainingTests
{
    private static TuningSettings Settings(int steps = 6, int seed = 42) => new() { Files = [], Steps = steps, SeqLen = 32, BatchSize = 4, Rank = 4, Alpha = 8, LearningRate = 1e-3, Seed = seed };

    private static TrainingText Text(IModelSource source, TuningSettings s) =>
        TrainingText.FromTokens(source.Tokenizer.Encode(File.ReadAllText(TestData.TinyStoriesValid), addBos: false), source.Tokenizer.BosId!.Value, s);

    private static byte[] Bytes(LoraAdapterSet adapters) =>
        adapters.ToTensors().OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => { using var t = kv.Value; return t.bytes.ToArray(); }).ToArray();

    [Fact]
    public void Merged_weights_give_the_logits_of_the_unmerged_adapters()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var model = LlamaModel.Load(source, CPU, ScalarType.Float32, 64, asStored: true);
        var s = Settings(steps: 20);
        using var trained = new LoraTrainer().Train(model, Text(source, s), s, CPU);
        Assert.True(trained.Losses.TrainEnd < trained.Losses.TrainStart, $"training loss {trained.Losses.TrainStart} -> {trained.Losses.TrainEnd}");

        using var ids = randint(0, source.Config.VocabSize, [2, 48], ScalarType.Int64, generator: new Generator(11));
        using var unmerged = model.Logits(ids, trained.Adapters.Layers);
        using var plain = model.Logits(ids);
        var merged = Enumerable.Range(0, source.Config.NumLayers).Select(l =>
        {
            using var layer = source.LoadLayer(l);
            return trained.Adapters.Layers[l].MergeInto(layer);
        }).ToList();
        using var mergedModel = new LlamaModel(source.Config, source.LoadEmbedding(), merged, source.LoadFinalNorm(), source.LoadEmbedding(), CPU, ScalarType.Float32, 64);
        using var mergedLogits = mergedModel.Logits(ids);

        double scale = unmerged.abs().max().item<float>();
        double mergeError = (mergedLogits - unmerged).abs().max().item<float>();
        double adapterEffect = (plain - unmerged).abs().max().item<float>();
        // W + s·B·A against W·x + s·B·(A·x): the same sums in another order, float32 rounding of a 128- or 384-term dot product.
        Assert.True(mergeError <= 1e-4 * scale, $"merged logits differ by {mergeError:E2} (logits up to {scale:F2})");
        Assert.True(adapterEffect > 1000 * mergeError, $"the adapters changed the logits by only {adapterEffect:E2}");
    }

    [Fact]
    public void Training_is_deterministic_for_a_seed_and_follows_it()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        using var model = LlamaModel.Load(source, CPU, ScalarType.Float32, 64, asStored: true);
        byte[] Run(int seed, bool checkpointing = false)
        {
            var s = Settings(seed: seed) with { ActivationCheckpointing = checkpointing };
            using var trained = new LoraTrainer().Train(model, Text(source, s), s, CPU);
            Assert.Equal(s.Steps, trained.BackwardPasses);
            return Bytes(trained.Adapters);
        }
        var first = Run(42);
        Assert.Equal(first, Run(42));
        Assert.NotEqual(first, Run(7));
    }

    [Fact]
    public void The_schedule_warms_up_then_decays_to_zero()
    {
        var s = new TuningSettings { Files = [], Steps = 100, LearningRate = 1e-3, WarmupSteps = 10 };
        Assert.Equal(1e-4, LearningRates.At(0, s), 12);
        Assert.Equal(1e-3, LearningRates.At(9, s), 12);
        Assert.Equal(1e-3, LearningRates.At(10, s), 12);
        Assert.Equal(0.5e-3, LearningRates.At(55, s), 12);        // half way through the decay: cos(pi/2) = 0
        Assert.Equal(0.5e-3, LearningRates.At(55, s with { Schedule = LearningRateSchedule.Linear }), 12);
        Assert.Equal(0.25e-3 * (1 + Math.Cos(Math.PI * 80 / 90.0)) * 2, LearningRates.At(90, s), 12);
        Assert.True(LearningRates.At(99, s) < 1e-6);
        Assert.Equal(10, new TuningSettings { Files = [], Steps = 100 }.EffectiveWarmupSteps);
    }

    [Fact]
    public void AdamW_takes_the_bias_corrected_step_with_decoupled_decay()
    {
        using var p = tensor(new[] { 1.0f, -2.0f }).requires_grad_(true);
        using var optimizer = new AdamW([p], weightDecay: 0.1);
        using (var loss = (p * tensor(new[] { 3.0f, 0.5f })).sum()) loss.backward();
        optimizer.Step(0.01);
        // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps) = ±lr; decay multiplies p by (1 - lr·wd) first.
        var values = p.detach().data<float>().ToArray();
        Assert.Equal(1.0 * (1 - 0.001) - 0.01, values[0], 6);
        Assert.Equal(-2.0 * (1 - 0.001) - 0.01, values[1], 6);
    }

    [Fact]
    public void Gradients_above_the_limit_are_scaled_to_it()
    {
        using var a = tensor(new[] { 3.0f }).requires_grad_(true);
        using var b = tensor(new[] { 4.0f }).requires_grad_(true);
        using (var loss = a * a / 2 + b * b / 2) loss.sum().backward();   // gradients 3 and 4: norm 5
        Assert.Equal(5.0, LoraTrainer.ClipGradients([a, b], 1.0), 5);
        Assert.Equal(0.6, a.grad!.item<float>(), 4);
        Assert.Equal(0.8, b.grad!.item<float>(), 4);
        Assert.Equal(1.0, LoraTrainer.ClipGradients([a, b], 2.0), 4);   // under the limit: unchanged
    }

    [Fact]
    public void The_last_tenth_is_held_out_and_too_little_text_is_a_clear_error()
    {
        var tokens = Enumerable.Range(0, 1000).ToArray();
        var s = new TuningSettings { Files = [], SeqLen = 32 };
        var text = TrainingText.FromTokens(tokens, 1, s);
        Assert.Equal(900, text.TrainingTokens);
        Assert.Equal(100, text.HeldOutTokens);
        var held = text.HeldOutWindows();
        Assert.Equal(3 * 32, held.Length);                       // 100 tokens: three windows of BOS + 31
        Assert.Equal([1L, 900, 901], held[..3]);
        Assert.NotEqual(text.Fingerprint, TrainingText.FromTokens(tokens, 1, s with { HeldOutFraction = 0.2 }).Fingerprint);

        var e = Assert.Throws<SlimLLMException>(() => TrainingText.FromTokens(tokens[..200], 1, s, "notes.txt"));
        Assert.Contains("notes.txt", e.Message);
        Assert.Contains("310", e.Message);                        // 31 held-out tokens at 10% need 310 in all
        Assert.Contains("seq_len", e.Message);
    }
}
