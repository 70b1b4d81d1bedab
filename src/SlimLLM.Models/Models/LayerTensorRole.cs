using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// One tensor of a decoder layer: its name in Hugging Face checkpoints and in llama.cpp's GGUF files, its shape for a layer
/// configuration, and whether a layer of that configuration has it. <see cref="All"/> is every role in storage order.
/// </summary>
public sealed class LayerTensorRole
{
    /// <summary>The sizes a layer tensor's shape is made of.</summary>
    private readonly record struct Sizes(long Hidden, long Q, long Kv, long Ffn);

    private readonly Func<Sizes, long[]> _shape;
    private readonly Func<ProjectionBiases, bool>? _biasPresent;
    private readonly Func<DecoderLayerWeights, Tensor?> _get;
    private readonly Func<DecoderLayerConfig, int>? _ropeHeads;

    private LayerTensorRole(string huggingFace, string gguf, Func<Sizes, long[]> shape, Func<DecoderLayerWeights, Tensor?> get,
        Func<ProjectionBiases, bool>? biasPresent = null, Func<DecoderLayerConfig, int>? ropeHeads = null)
    {
        HuggingFaceSuffix = huggingFace;
        GgufSuffix = gguf;
        _shape = shape;
        _get = get;
        _biasPresent = biasPresent;
        _ropeHeads = ropeHeads;
    }

    /// <summary>The name under <c>model.layers.N.</c>, e.g. <c>self_attn.q_proj.weight</c>.</summary>
    public string HuggingFaceSuffix { get; }
    /// <summary>The name under <c>blk.N.</c>, e.g. <c>attn_q.weight</c>.</summary>
    public string GgufSuffix { get; }
    public bool IsBias => _biasPresent is not null;

    /// <summary>What every layer tensor's name starts with, before the layer index.</summary>
    public const string HuggingFacePrefix = "model.layers.", GgufPrefix = "blk.";

    public string HuggingFaceName(int layer) => $"{HuggingFacePrefix}{layer}.{HuggingFaceSuffix}";
    public string GgufName(int layer) => $"{GgufPrefix}{layer}.{GgufSuffix}";

    public long[] Shape(DecoderLayerConfig layer, long hidden, long headDim) =>
        _shape(new Sizes(hidden, layer.NumHeads * headDim, layer.NumKeyValueHeads * headDim, layer.IntermediateSize));

    /// <summary>Whether a layer with these biases has this tensor (weights and norms always).</summary>
    public bool IsPresent(ProjectionBiases biases) => _biasPresent?.Invoke(biases) ?? true;

    /// <summary>The tensor of <paramref name="w"/> in this role; null for an absent bias.</summary>
    public Tensor? Of(DecoderLayerWeights w) => _get(w);

    /// <summary>
    /// The heads whose rows RoPE rotates (query heads for q, KV heads for k, weights and biases alike), which llama.cpp
    /// orders differently from Hugging Face; null for every other role.
    /// </summary>
    public int? RopeHeads(DecoderLayerConfig layer) => _ropeHeads?.Invoke(layer);

    public override string ToString() => HuggingFaceSuffix;

    private static int QueryHeads(DecoderLayerConfig l) => l.NumHeads;
    private static int KeyValueHeads(DecoderLayerConfig l) => l.NumKeyValueHeads;

    public static readonly LayerTensorRole InputNorm = new("input_layernorm.weight", "attn_norm.weight", s => [s.Hidden], w => w.InputNorm);
    public static readonly LayerTensorRole Q = new("self_attn.q_proj.weight", "attn_q.weight", s => [s.Q, s.Hidden], w => w.Q, ropeHeads: QueryHeads);
    public static readonly LayerTensorRole QBias = new("self_attn.q_proj.bias", "attn_q.bias", s => [s.Q], w => w.QBias, b => b.Q, QueryHeads);
    public static readonly LayerTensorRole K = new("self_attn.k_proj.weight", "attn_k.weight", s => [s.Kv, s.Hidden], w => w.K, ropeHeads: KeyValueHeads);
    public static readonly LayerTensorRole KBias = new("self_attn.k_proj.bias", "attn_k.bias", s => [s.Kv], w => w.KBias, b => b.K, KeyValueHeads);
    public static readonly LayerTensorRole V = new("self_attn.v_proj.weight", "attn_v.weight", s => [s.Kv, s.Hidden], w => w.V);
    public static readonly LayerTensorRole VBias = new("self_attn.v_proj.bias", "attn_v.bias", s => [s.Kv], w => w.VBias, b => b.V);
    public static readonly LayerTensorRole O = new("self_attn.o_proj.weight", "attn_output.weight", s => [s.Hidden, s.Q], w => w.O);
    public static readonly LayerTensorRole OBias = new("self_attn.o_proj.bias", "attn_output.bias", s => [s.Hidden], w => w.OBias, b => b.O);
    public static readonly LayerTensorRole PostAttentionNorm = new("post_attention_layernorm.weight", "ffn_norm.weight", s => [s.Hidden], w => w.PostAttentionNorm);
    public static readonly LayerTensorRole Gate = new("mlp.gate_proj.weight", "ffn_gate.weight", s => [s.Ffn, s.Hidden], w => w.Gate);
    public static readonly LayerTensorRole GateBias = new("mlp.gate_proj.bias", "ffn_gate.bias", s => [s.Ffn], w => w.GateBias, b => b.Gate);
    public static readonly LayerTensorRole Up = new("mlp.up_proj.weight", "ffn_up.weight", s => [s.Ffn, s.Hidden], w => w.Up);
    public static readonly LayerTensorRole UpBias = new("mlp.up_proj.bias", "ffn_up.bias", s => [s.Ffn], w => w.UpBias, b => b.Up);
    public static readonly LayerTensorRole Down = new("mlp.down_proj.weight", "ffn_down.weight", s => [s.Hidden, s.Ffn], w => w.Down);
    public static readonly LayerTensorRole DownBias = new("mlp.down_proj.bias", "ffn_down.bias", s => [s.Hidden], w => w.DownBias, b => b.Down);

    /// <summary>Every role, in the order layers are stored (weight, then its bias; attention, then MLP).</summary>
    public static IReadOnlyList<LayerTensorRole> All { get; } =
        [InputNorm, Q, QBias, K, KBias, V, VBias, O, OBias, PostAttentionNorm, Gate, GateBias, Up, UpBias, Down, DownBias];

    /// <summary>The roles a layer of configuration <paramref name="layer"/> has.</summary>
    public static IEnumerable<LayerTensorRole> Present(DecoderLayerConfig layer) => All.Where(r => r.IsPresent(layer.Biases));
}
