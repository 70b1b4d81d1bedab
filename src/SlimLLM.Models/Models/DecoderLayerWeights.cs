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

    /// <summary>(Hugging Face suffix under model.layers.N., tensor) for every tensor present.</summary>
    public IEnumerable<(string Suffix, Tensor Tensor)> Named()
    {
        yield return ("input_layernorm.weight", InputNorm);
        yield return ("self_attn.q_proj.weight", Q);
        if (QBias is not null) yield return ("self_attn.q_proj.bias", QBias);
        yield return ("self_attn.k_proj.weight", K);
        if (KBias is not null) yield return ("self_attn.k_proj.bias", KBias);
        yield return ("self_attn.v_proj.weight", V);
        if (VBias is not null) yield return ("self_attn.v_proj.bias", VBias);
        yield return ("self_attn.o_proj.weight", O);
        if (OBias is not null) yield return ("self_attn.o_proj.bias", OBias);
        yield return ("post_attention_layernorm.weight", PostAttentionNorm);
        yield return ("mlp.gate_proj.weight", Gate);
        if (GateBias is not null) yield return ("mlp.gate_proj.bias", GateBias);
        yield return ("mlp.up_proj.weight", Up);
        if (UpBias is not null) yield return ("mlp.up_proj.bias", UpBias);
        yield return ("mlp.down_proj.weight", Down);
        if (DownBias is not null) yield return ("mlp.down_proj.bias", DownBias);
    }

    /// <summary>
    /// Builds a layer from tensors found by their Hugging Face suffix (e.g. "self_attn.q_proj.weight"): <paramref name="load"/>
    /// for the tensors every layer has, <paramref name="loadBias"/> for the biases (null when the layer has none).
    /// </summary>
    public static DecoderLayerWeights Load(Func<string, Tensor> load, Func<string, Tensor?> loadBias) => new()
    {
        InputNorm = load("input_layernorm.weight"),
        Q = load("self_attn.q_proj.weight"), QBias = loadBias("self_attn.q_proj.bias"),
        K = load("self_attn.k_proj.weight"), KBias = loadBias("self_attn.k_proj.bias"),
        V = load("self_attn.v_proj.weight"), VBias = loadBias("self_attn.v_proj.bias"),
        O = load("self_attn.o_proj.weight"), OBias = loadBias("self_attn.o_proj.bias"),
        PostAttentionNorm = load("post_attention_layernorm.weight"),
        Gate = load("mlp.gate_proj.weight"), GateBias = loadBias("mlp.gate_proj.bias"),
        Up = load("mlp.up_proj.weight"), UpBias = loadBias("mlp.up_proj.bias"),
        Down = load("mlp.down_proj.weight"), DownBias = loadBias("mlp.down_proj.bias"),
    };

    public ProjectionBiases Biases => new(QBias is not null, KBias is not null, VBias is not null, OBias is not null,
        GateBias is not null, UpBias is not null, DownBias is not null);

    /// <summary>A copy on <paramref name="device"/> in <paramref name="dtype"/> (norm weights included).</summary>
    public DecoderLayerWeights To(Device device, ScalarType dtype)
    {
        // to() always returns a new handle (a copy, or an alias when nothing changes). No detach(): its extra handle would keep
        // the storage alive until the garbage collector finalizes it, hundreds of MB per layer at 7B scale.
        Tensor C(Tensor t) => t.to(dtype, device);
        Tensor? CO(Tensor? t) => t is null ? null : C(t);
        return new DecoderLayerWeights
        {
            InputNorm = C(InputNorm), Q = C(Q), K = C(K), V = C(V), O = C(O),
            QBias = CO(QBias), KBias = CO(KBias), VBias = CO(VBias), OBias = CO(OBias),
            PostAttentionNorm = C(PostAttentionNorm), Gate = C(Gate), Up = C(Up), Down = C(Down),
            GateBias = CO(GateBias), UpBias = CO(UpBias), DownBias = CO(DownBias),
        };
    }

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
    public DecoderLayerWeights Alias()
    {
        Tensor? A(Tensor? t) => t?.alias();
        return new DecoderLayerWeights
        {
            InputNorm = InputNorm.alias(), Q = Q.alias(), K = K.alias(), V = V.alias(), O = O.alias(),
            QBias = A(QBias), KBias = A(KBias), VBias = A(VBias), OBias = A(OBias),
            PostAttentionNorm = PostAttentionNorm.alias(), Gate = Gate.alias(), Up = Up.alias(), Down = Down.alias(),
            GateBias = A(GateBias), UpBias = A(UpBias), DownBias = A(DownBias),
        };
    }

    public void Dispose()
    {
        foreach (var (_, t) in Named()) t.Dispose();
    }
}
