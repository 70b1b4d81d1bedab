using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// Rotary position embedding in the Hugging Face (rotate-half) layout, with Llama-3 frequency scaling when the config has it.
/// Holds cos/sin tables for positions [0, maxPositions).
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos, _sin; // [maxPositions, headDim]

    public RotaryEmbedding(ModelConfig config, int maxPositions, Device device, ScalarType dtype)
    {
        var invFreq = InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        using var scope = NewDisposeScope();
        var inv = tensor(invFreq, dtype: ScalarType.Float64);
        var pos = arange(maxPositions, dtype: ScalarType.Float64);
        var freqs = outer(pos, inv);
        var emb = cat([freqs, freqs], dim: -1);
        _cos = emb.cos().to(dtype, device).MoveToOuterDisposeScope();
        _sin = emb.sin().to(dtype, device).MoveToOuterDisposeScope();
        MaxPositions = maxPositions;
    }

    public int MaxPositions { get; }

    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (int i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;
        // Llama-3 scaling, as in transformers' _compute_llama3_parameters.
        double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            double f = wavelen > lowWavelen ? inv[i] / scaling.Factor : inv[i];
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                f = (1 - smooth) * f / scaling.Factor + smooth * f;
            }
            inv[i] = f;
        }
        return inv;
    }

    /// <summary>Rotates <paramref name="x"/> [B, heads, T, headDim] for positions start..start+T-1.</summary>
    public Tensor Apply(Tensor x, int start = 0)
    {
        long t = x.shape[2];
        if (start + t > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(x), $"positions up to {start + t} exceed the rotary table of {MaxPositions}");
        var cos = _cos.narrow(0, start, t);
        var sin = _sin.narrow(0, start, t);
        long half = x.shape[3] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], dim: -1);
        return x * cos + rotated * sin;
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
