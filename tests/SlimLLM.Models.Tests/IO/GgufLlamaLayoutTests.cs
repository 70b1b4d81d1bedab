using SlimLLM.IO.Gguf;
using TorchSharp;

namespace SlimLLM.Tests.IO;

public class GgufLlamaLayoutTests
{
    // 2 heads of size 6, 2 columns; element [r, c] = 10 r + c, so each row is identified by its first value / 10.
    private static torch.Tensor Rows12() => torch.arange(12, dtype: torch.ScalarType.Float32).unsqueeze(1) * 10
                                            + torch.arange(2, dtype: torch.ScalarType.Float32).unsqueeze(0);

    private static bool Same(torch.Tensor a, torch.Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static long[] RowIds(torch.Tensor t) => t[.., 0].div(10).to_type(torch.ScalarType.Int64).data<long>().ToArray();

    [Fact]
    public void Unpermute_gathers_even_then_odd_rows_of_each_head()
    {
        // GGUF stores each head's rotary pairs interleaved (x0, y0, x1, y1, x2, y2); Hugging Face stores (x0, x1, x2, y0, y1, y2).
        using var w = Rows12();
        using var hf = GgufLlamaLayout.UnpermuteQK(w, nHead: 2);
        Assert.Equal([12L, 2], hf.shape);
        Assert.Equal([0L, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11], RowIds(hf));
        Assert.Equal(21f, hf[1, 1].item<float>()); // whole rows move: row 2 (20, 21) lands at position 1
    }

    [Fact]
    public void Permute_interleaves_the_two_halves_of_each_head()
    {
        using var w = Rows12();
        using var gguf = GgufLlamaLayout.PermuteQK(w, nHead: 2);
        Assert.Equal([0L, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11], RowIds(gguf));
    }

    [Fact]
    public void Permute_and_unpermute_are_inverse_for_matrices_and_biases()
    {
        torch.manual_seed(7);
        using var x = torch.randn(32, 5);
        using var a = GgufLlamaLayout.PermuteQK(GgufLlamaLayout.UnpermuteQK(x, 4), 4);
        using var b = GgufLlamaLayout.UnpermuteQK(GgufLlamaLayout.PermuteQK(x, 4), 4);
        Assert.True(Same(a, x));
        Assert.True(Same(b, x));
        using var once = GgufLlamaLayout.UnpermuteQK(x, 4);
        Assert.False(Same(once, x)); // head size 8: not its own inverse, so the round trip above is a real check

        using var bias = torch.arange(16, dtype: torch.ScalarType.Float32);
        using var hfBias = GgufLlamaLayout.UnpermuteQK(bias, 2);
        Assert.Equal([0f, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15], hfBias.data<float>().ToArray());
        using var back = GgufLlamaLayout.PermuteQK(hfBias, 2);
        Assert.True(Same(back, bias));
    }

    [Fact]
    public void Rows_that_do_not_split_into_even_heads_are_rejected()
    {
        using var w = torch.zeros(12, 2);
        var e = Assert.Throws<ArgumentException>(() => GgufLlamaLayout.UnpermuteQK(w, 4));
        Assert.StartsWith("12 rows cannot be split into 4 heads of an even size.", e.Message);
    }
}
