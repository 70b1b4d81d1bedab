using SlimLLM.Models;
using SlimLLM.Tests.Support;
using SlimLLM.Testing;
using SlimLLM.Tuning;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Tuning;

/// <summary>The LoRA backward pass against finite differences, and checkpointed against whole-graph gradients.</summary>
public class LoraGradientTests
{
    private static readonly ModelConfig Tiny = new()
    {
        Architecture = "LlamaForCausalLM", HiddenSize = 8, VocabSize = 16, HeadDim = 4,
        Layers = [new DecoderLayerConfig(2, 1, 12, ProjectionBiases.None)],
    };

    private static Tensor Random(Generator g, params long[] shape) => randn(shape, ScalarType.Float64, generator: g);

    [Fact]
    public void Layer_backward_matches_central_finite_differences_in_float64()
    {
        var g = new Generator(7);
        using var w = DecoderLayerWeights.Load(role => role.IsBias ? null : Random(g, role.Shape(Tiny.Layers[0], 8, 4)) * (role.Shape(Tiny.Layers[0], 8, 4).Length == 1 ? 1 : 0.4));
        using var rope = new RotaryEmbedding(Tiny, 16, CPU, ScalarType.Float64);
        using var x = Random(g, 2, 5, 8);
        using var probe = Random(g, 2, 5, 8);
        // B is drawn non-zero here (it starts at zero in training), so that both A's and B's gradients are non-trivial.
        var adapters = new Dictionary<LayerTensorRole, LoraAdapter>();
        foreach (var name in LoraTargets.Names)
        {
            var shape = LoraTargets.Role(name).Shape(Tiny.Layers[0], 8, 4);
            adapters[LoraTargets.Role(name)] = new LoraAdapter((Random(g, 3, shape[1]) * 0.3).requires_grad_(true), (Random(g, shape[0], 3) * 0.3).requires_grad_(true), 2.0);
        }
        using var layer = new LayerAdapters(adapters);
        double F() { using var _ = NewDisposeScope(); return (DecoderLayer.Forward(x, w, Tiny.Layers[0], Tiny, rope, adapters: layer) * probe).sum().item<double>(); }

        using (var f = (DecoderLayer.Forward(x, w, Tiny.Layers[0], Tiny, rope, adapters: layer) * probe).sum()) f.backward();
        int checkedEntries = 0;
        foreach (var (role, a) in adapters)
            foreach (var p in new[] { a.A, a.B })
            {
                using var grad = p.grad!.clone();
                for (long i = 0; i < p.numel(); i += Math.Max(1, p.numel() / 5))
                {
                    const double h = 1e-6;
                    double analytic = grad.flatten()[i].item<double>(), plus, minus;
                    using (no_grad())
                    {
                        using var flat = p.view(-1);
                        double v = flat[i].item<double>();
                        flat[i] = v + h; plus = F();
                        flat[i] = v - h; minus = F();
                        flat[i] = v;
                    }
                    double numeric = (plus - minus) / (2 * h);
                    // Central differences in float64 are good to about h^2 and 1e-16/h: 1e-8 absolute, far below the gradients.
                    Assert.True(Math.Abs(analytic - numeric) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), $"{role} entry {i}: backward {analytic:R}, finite differences {numeric:R}");
                    checkedEntries++;
                }
            }
        Assert.True(checkedEntries >= 7 * 2 * 5);
    }

    [Fact]
    public void Checkpointed_backward_gives_the_whole_graph_gradients_on_a_real_model()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var model = LlamaModel.Load(source, CPU, ScalarType.Float32, 64, asStored: true);
        var settings = new TuningSettings { Files = [], Rank = 4, Alpha = 8 };
        using var adapters = LoraAdapterSet.Create(source.Config, settings, CPU);
        using (no_grad())
            foreach (var b in adapters.Layers.SelectMany(l => l.Adapters.Values).Select(a => a.B)) b.add_(randn(b.shape, generator: new Generator(3)) * 0.05);
        using var ids = randint(0, source.Config.VocabSize, [2, 32], ScalarType.Int64, generator: new Generator(5));

        var parameters = adapters.Parameters().ToList();
        double whole = NextTokenObjective.LossAndGradients(model, ids, adapters, checkpointing: false);
        var wholeGrads = parameters.Select(p => p.grad!.clone()).ToList();
        foreach (var p in parameters) p.grad!.zero_();
        double checkpointed = NextTokenObjective.LossAndGradients(model, ids, adapters, checkpointing: true);

        FloatTolerance.AssertRelative(whole, checkpointed);
        for (int i = 0; i < parameters.Count; i++)
        {
            using var diff = (parameters[i].grad! - wholeGrads[i]).abs().max();
            using var scale = wholeGrads[i].abs().max();
            Assert.True(scale.item<float>() > 0, $"parameter {i} has no gradient");
            Assert.True(diff.item<float>() <= 1e-4 * scale.item<float>(), $"parameter {i}: checkpointed differs by {diff.item<float>():E2} of {scale.item<float>():E2}");
        }
    }
}
