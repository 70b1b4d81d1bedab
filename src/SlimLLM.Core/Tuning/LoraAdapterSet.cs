using SlimLLM.Calibration;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Tuning;

/// <summary>
/// The adapters of every layer of a (pruned) model: one per targeted projection, shaped by that layer's own pruned sizes.
/// A is drawn as PyTorch's kaiming_uniform_(a=sqrt(5)) draws it, U(-1/sqrt(in), 1/sqrt(in)), from a SplitMix64 stream of the
/// seed (the same on every machine); B is zero.
/// </summary>
public sealed class LoraAdapterSet : IDisposable
{
    public LoraAdapterSet(IReadOnlyList<LayerAdapters> layers) => Layers = layers;

    public IReadOnlyList<LayerAdapters> Layers { get; }

    /// <summary>Every A and B, layer by layer, in target order: the trained parameters.</summary>
    public IEnumerable<Tensor> Parameters() => Layers.SelectMany(l => l.Adapters.Values).SelectMany(a => new[] { a.A, a.B });

    public long ParameterCount => Parameters().Sum(p => p.numel());

    public static LoraAdapterSet Create(ModelConfig config, TuningSettings settings, Device device)
    {
        var rng = new DeterministicRandom((ulong)settings.Seed ^ 0x4C6F5241UL);
        double scale = settings.Alpha / settings.Rank;
        var layers = new List<LayerAdapters>();
        for (int l = 0; l < config.NumLayers; l++)
        {
            var adapters = new Dictionary<LayerTensorRole, LoraAdapter>();
            foreach (var (role, outSize, inSize) in Shapes(config, l, settings))
            {
                double bound = 1 / Math.Sqrt(inSize);
                var values = new float[settings.Rank * inSize];
                for (int i = 0; i < values.Length; i++) values[i] = (float)((2 * Unit(rng) - 1) * bound);
                var a = tensor(values, [settings.Rank, inSize], ScalarType.Float32).to(device).requires_grad_(true);
                var b = zeros([outSize, settings.Rank], ScalarType.Float32, device).requires_grad_(true);
                adapters[role] = new LoraAdapter(a, b, scale);
            }
            layers.Add(new LayerAdapters(adapters));
        }
        return new LoraAdapterSet(layers);
    }

    /// <summary>(role, out, in) of every adapter of layer <paramref name="layer"/>, in target order; projections pruned to nothing get none.</summary>
    private static IEnumerable<(LayerTensorRole Role, long Out, long In)> Shapes(ModelConfig config, int layer, TuningSettings settings)
    {
        var lc = config.Layers[layer];
        foreach (var name in LoraTargets.Names.Where(settings.Targets.Contains))
        {
            var role = LoraTargets.Role(name);
            var shape = role.Shape(lc, config.HiddenSize, config.HeadDim);
            if (shape[0] > 0 && shape[1] > 0) yield return (role, shape[0], shape[1]);
        }
    }

    private static double Unit(DeterministicRandom rng) => (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>The adapters as named CPU tensors (for the cache): <c>L.role.A</c>, <c>L.role.B</c>, and <c>scale</c>.</summary>
    public Dictionary<string, Tensor> ToTensors()
    {
        var d = new Dictionary<string, Tensor>();
        for (int l = 0; l < Layers.Count; l++)
            foreach (var (role, a) in Layers[l].Adapters)
            {
                d[$"{l}.{role.HuggingFaceSuffix}.A"] = a.A.detach().cpu();
                d[$"{l}.{role.HuggingFaceSuffix}.B"] = a.B.detach().cpu();
            }
        return d;
    }

    /// <summary>Adapters rebuilt from <see cref="ToTensors"/> on <paramref name="device"/> (not trainable); null when the tensors do not fit the model.</summary>
    public static LoraAdapterSet? FromTensors(IReadOnlyDictionary<string, Tensor> tensors, ModelConfig config, TuningSettings settings, Device device)
    {
        var layers = new List<LayerAdapters>();
        for (int l = 0; l < config.NumLayers; l++)
        {
            var adapters = new Dictionary<LayerTensorRole, LoraAdapter>();
            foreach (var (role, outSize, inSize) in Shapes(config, l, settings))
            {
                if (!tensors.TryGetValue($"{l}.{role.HuggingFaceSuffix}.A", out var a) || !tensors.TryGetValue($"{l}.{role.HuggingFaceSuffix}.B", out var b)
                    || !a.shape.SequenceEqual([settings.Rank, inSize]) || !b.shape.SequenceEqual([outSize, settings.Rank]))
                {
                    foreach (var made in layers) made.Dispose();
                    foreach (var made in adapters.Values) made.Dispose();
                    return null;
                }
                adapters[role] = new LoraAdapter(a.to(ScalarType.Float32, device), b.to(ScalarType.Float32, device), settings.Alpha / settings.Rank);
            }
            layers.Add(new LayerAdapters(adapters));
        }
        return new LoraAdapterSet(layers);
    }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }
}
