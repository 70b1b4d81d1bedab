using SlimLLM.Pruning.Statistics;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

/// <summary>
/// SlimLLM's holistic FFN channel importance, computed in float64:
/// PCA of the output, C = (Y - mean)^T (Y - mean) = V diag(lambda) V^T (eigh), w_k = sigmoid(|lambda_k| / mean|lambda|);
/// I_g[c] = || W_gate[c,:] * n_in ||_2, I_u[c] = || W_up[c,:] * n_in ||_2,
/// I_d[c] = n_a[c] * || |V^T W_down[:, c]| * w ||_2; Score = I_g + I_u + I_d.
/// </summary>
public static class FfnChannelImportance
{
    /// <param name="inputNorms">n_in: L2 norm over tokens of each FFN input dimension, length d.</param>
    /// <param name="activationNorms">n_a: L2 norm over tokens of each channel of a = silu(gate x) * up x, length m.</param>
    /// <param name="outputScatter">C, d x d (see <see cref="OutputCovarianceStats.CenteredScatter"/>; any positive multiple gives the same scores).</param>
    /// <param name="wGate">gate_proj.weight, m x d.</param>
    /// <param name="wUp">up_proj.weight, m x d.</param>
    /// <param name="wDown">down_proj.weight, d x m.</param>
    public static FfnChannelScores Score(Tensor inputNorms, Tensor activationNorms, Tensor outputScatter, Tensor wGate, Tensor wUp, Tensor wDown)
    {
        long m = wGate.shape[0], d = wGate.shape[1];
        if (!wUp.shape.SequenceEqual(wGate.shape) || wDown.dim() != 2 || wDown.shape[0] != d || wDown.shape[1] != m)
            throw new ArgumentException($"Expected gate/up m x d and down d x m, got [{string.Join(", ", wGate.shape)}], [{string.Join(", ", wUp.shape)}], [{string.Join(", ", wDown.shape)}].");
        if (inputNorms.shape.Length != 1 || inputNorms.shape[0] != d || activationNorms.shape.Length != 1 || activationNorms.shape[0] != m)
            throw new ArgumentException($"Expected n_in of length {d} and n_a of length {m}.");
        if (!outputScatter.shape.SequenceEqual(new[] { d, d }))
            throw new ArgumentException($"Expected a {d} x {d} output scatter matrix.", nameof(outputScatter));

        using var scope = NewDisposeScope();
        var device = wGate.device;
        var nIn = inputNorms.to(ScalarType.Float64, device);
        var nA = activationNorms.to(ScalarType.Float64, device);
        var gate = WeightedRowNorms(wGate, nIn);
        var up = WeightedRowNorms(wUp, nIn);

        var (weights, vectors) = PrincipalWeights(outputScatter.to(ScalarType.Float64, device));
        // ||w * |V^T W_down[:, c]| ||^2 = sum_k w_k^2 (v_k . W_down[:, c])^2 (the abs vanishes in the square). V^T W_down is the
        // largest product here (2 d^2 m flops, 369 GFLOP at LLaMA-7B): it runs in float32 like the weights themselves; the
        // eigen-decomposition and the final sums stay float64.
        var projected = vectors.to(ScalarType.Float32).t().matmul(wDown.to(ScalarType.Float32));      // d x m
        var down = nA * weights.square().to(ScalarType.Float32).unsqueeze(0).matmul(projected.pow_(2)).squeeze(0).to(ScalarType.Float64).sqrt();
        var total = gate + up + down;
        return new FfnChannelScores(gate.MoveToOuterDisposeScope(), up.MoveToOuterDisposeScope(),
            down.MoveToOuterDisposeScope(), total.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Eigen-decomposition of the symmetric scatter matrix (float64 eigh): returns w = sigmoid(|lambda| / mean|lambda|) and V
    /// (eigenvectors in columns, ascending eigenvalues). If every eigenvalue is 0 (the output never varies) w is sigmoid(0) = 0.5
    /// for all components rather than NaN.
    /// </summary>
    public static (Tensor Weights, Tensor Vectors) PrincipalWeights(Tensor scatter)
    {
        using var scope = NewDisposeScope();
        var (values, vectors) = linalg.eigh(scatter.to(ScalarType.Float64));
        var magnitude = values.abs();
        var mean = magnitude.mean();
        var relative = mean.item<double>() > 0 ? magnitude / mean : zeros_like(magnitude);
        return (relative.sigmoid().MoveToOuterDisposeScope(), vectors.MoveToOuterDisposeScope());
    }

    /// <summary>|| W[c, :] * n ||_2 per row, in float64, a block of rows at a time: a whole float64 copy of a 7B gate_proj is 360 MB.</summary>
    private static Tensor WeightedRowNorms(Tensor w, Tensor n)
    {
        const long rowsPerBlock = 1024;
        var blocks = new List<Tensor>();
        for (long r = 0; r < w.shape[0]; r += rowsPerBlock)
        {
            using var scope = NewDisposeScope();
            var block = w.narrow(0, r, Math.Min(rowsPerBlock, w.shape[0] - r)).to(ScalarType.Float64) * n;
            blocks.Add(block.square().sum(1).sqrt().MoveToOuterDisposeScope());
        }
        return cat(blocks, 0);
    }
}
