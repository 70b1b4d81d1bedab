using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Evaluation;

/// <summary>Greedy decoding (argmax at each step), stopping at EOS or after maxNewTokens.</summary>
public static class TextGenerator
{
    public static int[] Greedy(LlamaModel model, IReadOnlyList<int> prompt, int maxNewTokens, int? eosId)
    {
        var ids = new List<int>(prompt);
        using var _ = no_grad();
        for (int step = 0; step < maxNewTokens && ids.Count < model.MaxPositions; step++)
        {
            using var scope = NewDisposeScope();
            var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], dtype: ScalarType.Int64);
            var logits = model.Logits(input);
            int next = (int)logits[0, ids.Count - 1].argmax().item<long>();
            ids.Add(next);
            if (next == eosId) break;
        }
        return ids.Skip(prompt.Count).ToArray();
    }
}
