using System.Buffers.Binary;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// llama.cpp's Q8_0 and Q4_0 blocks, written as ggml's reference quantisers (ggml-quants.c, quantize_row_q8_0_ref and
/// quantize_row_q4_0_ref) write them, bit for bit: every 32 consecutive values of a row become one block of an f16 scale d
/// (round to nearest even) and the quants. Q8_0: d = amax / 127, q = roundf(x / d) as int8 (34 bytes). Q4_0: d = max / -8
/// where max is the value of largest magnitude with its sign (the first such), q = min(15, trunc(x / d + 8.5)) as nibbles,
/// value j in the low nibble of byte j and value j + 16 in its high nibble, x = (q - 8) d (18 bytes).
/// </summary>
public static class GgufQuantizer
{
    public const int BlockSize = 32;

    public static bool IsQuantized(GgmlType type) => type is GgmlType.Q8_0 or GgmlType.Q4_0;

    /// <summary>Bytes of one block of <see cref="BlockSize"/> values.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => 2 + BlockSize,
        GgmlType.Q4_0 => 2 + BlockSize / 2,
        _ => throw new NotSupportedException($"{type.Describe()} is not a block type this writer quantises."),
    };

    /// <summary>Bytes of <paramref name="elements"/> values (a multiple of <see cref="BlockSize"/>).</summary>
    public static long ByteLength(GgmlType type, long elements) =>
        elements % BlockSize == 0 ? checked(elements / BlockSize * BlockBytes(type))
            : throw new ArgumentException($"{elements} values do not fill whole {type.Describe()} blocks of {BlockSize}.", nameof(elements));

    /// <summary>Quantises <paramref name="values"/> (rows laid end to end, each a multiple of 32 long) into <paramref name="output"/>.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> values, Span<byte> output)
    {
        if (output.Length != ByteLength(type, values.Length))
            throw new ArgumentException($"{values.Length} values need {ByteLength(type, values.Length)} bytes of {type.Describe()}; the output has {output.Length}.", nameof(output));
        int blockBytes = BlockBytes(type);
        for (int b = 0; b < values.Length / BlockSize; b++)
        {
            var x = values.Slice(b * BlockSize, BlockSize);
            var y = output.Slice(b * blockBytes, blockBytes);
            if (type == GgmlType.Q8_0) Q8_0(x, y);
            else Q4_0(x, y);
        }
    }

    public static byte[] Quantize(GgmlType type, ReadOnlySpan<float> values)
    {
        var output = new byte[ByteLength(type, values.Length)];
        Quantize(type, values, output);
        return output;
    }

    /// <summary>The values the blocks stand for, as llama.cpp's dequantize_row_q8_0 / _q4_0 compute them.</summary>
    public static float[] Dequantize(GgmlType type, ReadOnlySpan<byte> blocks)
    {
        int blockBytes = BlockBytes(type);
        if (blocks.Length % blockBytes != 0) throw new ArgumentException($"{blocks.Length} bytes are not whole {type.Describe()} blocks.", nameof(blocks));
        var values = new float[blocks.Length / blockBytes * BlockSize];
        for (int b = 0; b < blocks.Length / blockBytes; b++)
        {
            var y = blocks.Slice(b * blockBytes, blockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(y);
            var v = values.AsSpan(b * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize; j++)
                v[j] = type == GgmlType.Q8_0 ? (sbyte)y[2 + j] * d
                    : ((j < BlockSize / 2 ? y[2 + j] & 0x0F : y[2 + j - BlockSize / 2] >> 4) - 8) * d;
        }
        return values;
    }

    private static void Q8_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        float amax = 0;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        WriteScale(y, d);
        for (int j = 0; j < BlockSize; j++)
            y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero); // C's roundf
    }

    private static void Q4_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
            if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        WriteScale(y, d);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            // x * id lies in [-8, 8], so x * id + 8.5 is positive and C's (int8_t) cast truncates it like (int) here.
            int q0 = Math.Min(15, (int)(x[j] * id + 8.5f));
            int q1 = Math.Min(15, (int)(x[j + BlockSize / 2] * id + 8.5f));
            y[2 + j] = (byte)(q0 | (q1 << 4));
        }
    }

    private static void WriteScale(Span<byte> y, float d) => BinaryPrimitives.WriteHalfLittleEndian(y, (Half)d);
}
