using SlimLLM.IO.Gguf;

namespace SlimLLM.Tests.IO;

/// <summary>Q8_0 and Q4_0 blocks against blocks worked out by hand from ggml's reference quantisers (ggml-quants.c).</summary>
public class GgufQuantizerTests
{
    private static float[] Block(Func<int, float> value) => Enumerable.Range(0, 32).Select(value).ToArray();

    [Fact]
    public void Q8_0_scale_is_amax_over_127_and_quants_round_half_away_from_zero()
    {
        // amax 127: d = 1 (f16 0x3C00), id = 1, so each quant is roundf(x): 2.5 -> 3 and -2.5 -> -3 (not to even).
        var x = Block(j => j switch { 0 => 127f, 1 => 2.5f, 2 => -2.5f, 3 => 0.49f, 4 => -126.5f, _ => j - 16 });
        var y = GgufQuantizer.Quantize(GgmlType.Q8_0, x);
        Assert.Equal(34, y.Length);
        Assert.Equal([0x00, 0x3C], y[..2]);
        Assert.Equal(new sbyte[] { 127, 3, -3, 0, -127 }, y[2..7].Select(b => (sbyte)b).ToArray());
        Assert.Equal(Enumerable.Range(5, 27).Select(j => (sbyte)(j - 16)).ToArray(), y[7..].Select(b => (sbyte)b).ToArray());
    }

    [Fact]
    public void Q8_0_scale_is_stored_as_the_nearest_half()
    {
        // amax 16: d = 16/127 = 0.125984..., nearest f16 is 1032/1024 * 2^-3 = 0.1259765625 (0x3008); quants use the float d.
        var x = Block(j => j - 16);
        var y = GgufQuantizer.Quantize(GgmlType.Q8_0, x);
        Assert.Equal([0x08, 0x30], y[..2]);
        Assert.Equal(-127, (sbyte)y[2]);    // -16 / d
        Assert.Equal(119, (sbyte)y[2 + 31]); // 15 * 127 / 16 = 119.06
    }

    [Fact]
    public void Q4_0_scale_is_the_signed_largest_value_over_minus_8_and_nibbles_pair_j_with_j_plus_16()
    {
        // x_j = j - 16: the largest magnitude is -16 (first), d = 2 (0x4000), id = 0.5, q = min(15, trunc(x / 2 + 8.5)).
        var x = Block(j => j - 16);
        var y = GgufQuantizer.Quantize(GgmlType.Q4_0, x);
        Assert.Equal(18, y.Length);
        Assert.Equal([0x00, 0x40], y[..2]);
        // byte j = q(x_j) | q(x_{j+16}) << 4: j = 0: q(-16) = 0, q(0) = 8; j = 1: q(-15) = 1, q(1) = 9; j = 2: q(-14) = 1, q(2) = 9;
        // j = 3: q(-13) = 2, q(3) = 10; j = 15: q(-1) = 8, q(15) = 15 (16.0 capped at 15)
        Assert.Equal(0x80, y[2]);
        Assert.Equal(0x91, y[3]);
        Assert.Equal(0x91, y[4]);
        Assert.Equal(0xA2, y[5]);
        Assert.Equal(0xF8, y[2 + 15]);
    }

    [Fact]
    public void Q4_0_truncates_caps_at_15_and_keeps_the_first_value_of_largest_magnitude()
    {
        // -8 comes first, 8 later has the same magnitude: max stays -8, d = 1 (0x3C00), id = 1, q = min(15, trunc(x + 8.5)).
        var x = Block(j => j switch { 0 => -8f, 1 => -0.5f, 2 => -0.6f, 3 => 7.4f, 16 => 8f, 17 => 0.49f, _ => 0f });
        var y = GgufQuantizer.Quantize(GgmlType.Q4_0, x);
        Assert.Equal([0x00, 0x3C], y[..2]);
        Assert.Equal(0x00 | (15 << 4), y[2]); // q(-8) = 0; q(8) = trunc(16.5) = 16 -> 15
        Assert.Equal(8 | (8 << 4), y[3]);     // q(-0.5) = trunc(8.0) = 8; q(0.49) = trunc(8.99) = 8
        Assert.Equal(7 | (8 << 4), y[4]);     // q(-0.6) = trunc(7.9) = 7 (truncated, not rounded); q(0) = 8
        Assert.Equal(15 | (8 << 4), y[5]);    // q(7.4) = trunc(15.9) = 15
        // A largest value that is positive gives a negative scale: 8 first, d = -1 (0xBC00).
        Assert.Equal([0x00, 0xBC], GgufQuantizer.Quantize(GgmlType.Q4_0, Block(j => j == 0 ? 8f : j == 1 ? -8f : 0f))[..2]);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 0x00, 0x00)]
    [InlineData(GgmlType.Q4_0, 0x88, 0x80)] // d = 0.0f / -8 is -0.0 in C as here: f16 0x8000
    public void An_all_zero_block_has_scale_zero(GgmlType type, byte quant, byte scaleHigh)
    {
        var y = GgufQuantizer.Quantize(type, new float[32]);
        Assert.Equal([0, scaleHigh], y[..2]);
        Assert.All(y[2..], b => Assert.Equal(quant, b));
        Assert.All(GgufQuantizer.Dequantize(type, y), v => Assert.Equal(0f, v));
    }

    [Theory]
    // Q8_0: |x - x'| <= d/2 with d = amax/127, plus the f16 rounding of d (relative 2^-11) times the largest quant.
    [InlineData(GgmlType.Q8_0, 0.5 / 127 + 1.0 / 2048)]
    // Q4_0: steps of |d| = amax/8, half a step off at most, except the value opposite the largest, capped from 16 to 15: one step.
    [InlineData(GgmlType.Q4_0, 1.0 / 8 + 8.0 / 2048)]
    public void Dequantized_values_stay_within_the_blocks_step(GgmlType type, double boundOverAmax)
    {
        var rng = new Random(17);
        var x = Enumerable.Range(0, 32 * 256).Select(_ => (float)(rng.NextDouble() * 2 - 1) * (float)Math.Exp(rng.NextDouble() * 6 - 3)).ToArray();
        var back = GgufQuantizer.Dequantize(type, GgufQuantizer.Quantize(type, x));
        double worst = 0;
        for (int b = 0; b < x.Length / 32; b++)
        {
            double amax = x.Skip(b * 32).Take(32).Max(Math.Abs);
            for (int j = b * 32; j < b * 32 + 32; j++)
                worst = Math.Max(worst, Math.Abs(x[j] - back[j]) / amax);
        }
        Assert.InRange(worst, 0, boundOverAmax);
        Assert.InRange(worst, boundOverAmax / 4, boundOverAmax); // and the quantisation is really that coarse
    }

    [Fact]
    public void A_row_that_does_not_fill_whole_blocks_is_refused()
    {
        Assert.Throws<ArgumentException>(() => GgufQuantizer.Quantize(GgmlType.Q8_0, new float[48]));
        Assert.Equal(3 * 18, new GgufTensorDeclaration("t", GgmlType.Q4_0, [3, 32]).ByteLength);
    }
}
