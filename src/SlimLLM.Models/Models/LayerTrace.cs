using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// Intermediate activations of one decoder layer, captured when a trace is passed to <see cref="DecoderLayer.Forward"/>.
/// Pruning statistics are computed from these. All are [B, T, ...]; the caller owns and disposes them.
/// </summary>
public sealed class LayerTrace : IDisposable
{
    /// <summary>Attention input after input_layernorm [B, T, d].</summary>
    public Tensor? AttentionInput { get; set; }
    /// <summary>Per-head attention output before o_proj [B, T, H, headDim].</summary>
    public Tensor? HeadOutputs { get; set; }
    /// <summary>o_proj output (bias included) [B, T, d].</summary>
    public Tensor? AttentionOutput { get; set; }
    /// <summary>FFN input after post_attention_layernorm [B, T, d].</summary>
    public Tensor? FfnInput { get; set; }
    /// <summary>silu(gate) * up [B, T, m].</summary>
    public Tensor? FfnActivation { get; set; }
    /// <summary>down_proj output (bias included) [B, T, d].</summary>
    public Tensor? FfnOutput { get; set; }

    public void Dispose()
    {
        AttentionInput?.Dispose(); HeadOutputs?.Dispose(); AttentionOutput?.Dispose();
        FfnInput?.Dispose(); FfnActivation?.Dispose(); FfnOutput?.Dispose();
    }
}
