using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// The tensors of one decoder layer in Hugging Face layout: projection weights are [out, in] as in torch.nn.Linear,
/// q/k rows in the rotate-half RoPE order. Biases are null when the projection has none.
/// </summary>
public sealed class DecoderLayerWeights : IDisposable
{
    public required Tensor InputNorm { get; init; }
    public required Tensor Q { get; init; }
    public required Tensor K { get; init; }
    public required Tensor V { get; init; }
    public required Tensor O { get; init; }
    public Tensor? QBias { get; init; }
    public Tensor? KBias { get; init; }
    public Tensor? VBias { get; init; }
    public Tensor? OBias { get; init; }
    public required Tensor PostAttentionNorm { get; init; }
    public required Tensor Gate { get; init; }
    public required Tensor Up { get; init; }
    public required Tensor Down { get; init; }
    public Tensor? GateBias { get; init; }
    public Tensor? UpBias { get; init; }
    public Tensor? DownBias { get; init; }

    /// <summary>(role, tensor) for every tensor present, in storage order.</summary>
    public IEnumerable<(LayerTensorRole Role, Tensor Tensor)> Tensors()
    {
        foreach (var role in LayerTensorRole.All)
            if (role.Of(this) is { } t) yield return (role, t);
    }

    /// <summary>(Hugging Face suffix under model.layers.N., tensor) for every tensor present.</summary>
    public IEnumerable<(string Suffix, Tensor Tensor)> Named() => Tensors().Select(t => (t.Role.HuggingFaceSuffix, t.Tensor));

    /// <summary>Builds a layer from the tensor of each role; <paramref name="load"/> returns null for a bias the layer does not have.</summary>
    public static DecoderLayerWeights Load(Func<LayerTensorRole, Tensor?> load)
    {
        Tensor Required(LayerTensorRole role) => load(role) ?? throw new ArgumentException($"No tensor was given for {role}.", nameof(load));
        return new()
        {
            InputNorm = Required(LayerTensorRole.InputNorm),
            Q = Required(LayerTensorRole.Q), QBias = load(LayerTensorRole.QBias),
            K = Required(LayerTensorRole.K), KBias = load(LayerTensorRole.KBias),
            V = Required(LayerTensorRole.V), VBias = load(LayerTensorRole.VBias),
            O = Required(LayerTensorRole.O), OBias = load(LayerTensorRole.OBias),
            PostAttentionNorm = Required(LayerTensorRole.PostAttentionNorm),
            Gate = Required(LayerTensorRole.Gate), GateBias = load(LayerTensorRole.GateBias),
            Up = Required(LayerTensorRole.Up), UpBias = load(LayerTensorRole.UpBias),
            Down = Required(LayerTensorRole.Down), DownBias = load(LayerTensorRole.DownBias),
        };
    }

    public ProjectionBiases Biases => new(QBias is not null, KBias is not null, VBias is not null, OBias is not null,
        GateBias is not null, UpBias is not null, DownBias is not null);

    // to() always returns a new handle (a copy, or an alias when nothing changes). No detach(): its extra handle would keep
    // the storage alive until the garbage collector finalizes it, hundreds of MB per layer at 7B scale.
    /// <summary>A copy on <paramref name="device"/> in <paramref name="dtype"/> (norm weights included).</summary>
    public DecoderLayerWeights To(Device device, ScalarType dtype) => Map(t => t.to(dtype, device));

    /// <summary>The SIMD width (AVX2: 8 floats) the FFN width of a layer that is computed on is rounded up to.</summary>
    public const int ComputeChannelMultiple = 8;

    /// <summary>
    /// This layer on <paramref name="device"/> in <paramref name="dtype"/> for running it (never for storing it): as
    /// <see cref="To"/>, with the FFN widened by zero channels to a multiple of <see cref="ComputeChannelMultiple"/>. A zero
    /// channel adds silu(0) * up = 0 to every output, so the outputs are the same; but a CPU GEMM whose output width is not a
    /// multiple of the SIMD width runs far slower (gate_proj at 8,806 channels took 1.06 s per 1,024 tokens, at 8,808 0.56 s),
    /// and a pruned FFN width is whatever the ratio made it.
    /// </summary>
    public DecoderLayerWeights ToCompute(Device device, ScalarType dtype)
    {
        var w = To(device, dtype);
        long m = w.Gate.shape[0], pad = (ComputeChannelMultiple - m % ComputeChannelMultiple) % ComputeChannelMultiple;
        if (pad == 0) return w;
        Tensor Rows(Tensor t) { using (t) return nn.functional.pad(t, [0, 0, 0, pad]); }
        Tensor? Bias(Tensor? t) { if (t is null) return null; using (t) return nn.functional.pad(t, [0, pad]); }
        Tensor Columns(Tensor t) { using (t) return nn.functional.pad(t, [0, pad]); }
        return new DecoderLayerWeights
        {
            InputNorm = w.InputNorm, Q = w.Q, K = w.K, V = w.V, O = w.O, QBias = w.QBias, KBias = w.KBias, VBias = w.VBias, OBias = w.OBias,
            PostAttentionNorm = w.PostAttentionNorm, Gate = Rows(w.Gate), Up = Rows(w.Up), Down = Columns(w.Down),
            GateBias = Bias(w.GateBias), UpBias = Bias(w.UpBias), DownBias = w.DownBias,
        };
    }

    /// <summary>A second handle on the same storage (no copy): disposing either leaves the other valid.</summary>
    public DecoderLayerWeights Alias() => Map(t => t.alias());

    private DecoderLayerWeights Map(Func<Tensor, Tensor> f) => Load(role => role.Of(this) is { } t ? f(t) : null);

    public void Dispose()
    {
        foreach (var (_, t) in Tensors()) t.Dispose();
    }
}
