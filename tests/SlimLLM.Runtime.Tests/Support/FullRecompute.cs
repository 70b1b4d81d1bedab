using static TorchSharp.torch;

namespace SlimLLM.Runtime.Tests.Support;

/// <summary>The reference without a KV cache: every step re-runs the whole sequence and takes the argmax at its end.</summary>
public static class FullRecompute
{
    public static int[] Greedy(SlimModel model, IReadOnlyList<int> prompt, int maxNewTokens)
    {
        var ids = new List<int>(prompt);
        using var _ = no_grad();
        for (int step = 0; step < maxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            int next = (int)LastLogits(model, ids).argmax().item<long>();
            if (next == model.Tokenizer.EosId) break;
            ids.Add(next);
        }
        return ids.Skip(prompt.Count).ToArray();
    }

    /// <summary>Float32 logits [vocab] at the last position of <paramref name="ids"/>, from a full forward pass.</summary>
    public static Tensor LastLogits(SlimModel model, IReadOnlyList<int> ids)
    {
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], dtype: ScalarType.Int64);
        return model.Model.Logits(input)[0, ids.Count - 1];
    }
}
