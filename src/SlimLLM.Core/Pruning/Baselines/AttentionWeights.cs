using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Baselines;

/// <summary>
/// The projections of one attention block in Hugging Face layout (out x in): q_proj H*h x d, k_proj and v_proj G*h x d,
/// o_proj d x H*h. KV group g owns q rows and o columns [g*(H/G)*h, (g+1)*(H/G)*h) and k/v rows [g*h, (g+1)*h).
/// </summary>
public sealed record AttentionWeights(Tensor Q, Tensor K, Tensor V, Tensor O, int Groups)
{
    internal long QueryWidth => Q.shape[0];
    internal long KvWidth => K.shape[0];

    internal void Validate()
    {
        if (Groups < 1 || Q.dim() != 2 || K.dim() != 2 || V.dim() != 2 || O.dim() != 2
            || !K.shape.SequenceEqual(V.shape) || K.shape[1] != Q.shape[1] || O.shape[0] != Q.shape[1] || O.shape[1] != Q.shape[0]
            || Q.shape[0] % Groups != 0 || K.shape[0] % Groups != 0)
            throw new ArgumentException(
                $"Inconsistent attention weights for {Groups} groups: q [{string.Join(", ", Q.shape)}], k [{string.Join(", ", K.shape)}], v [{string.Join(", ", V.shape)}], o [{string.Join(", ", O.shape)}].");
    }

    /// <summary>Sums a per-row (or per-column) vector over each group's consecutive block: length G.</summary>
    internal Tensor PerGroup(Tensor perIndex) => perIndex.reshape(Groups, -1).sum(1);
}
