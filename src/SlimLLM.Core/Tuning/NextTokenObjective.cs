using SlimLLM.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Tuning;

/// <summary>
/// The training objective: the mean next-token cross-entropy of a frozen model (loaded <c>asStored</c>) with LoRA adapters,
/// and its gradients with respect to the adapters only.
/// </summary>
public static class NextTokenObjective
{
    /// <summary>The mean cross-entropy over ids [B, T] (positions 1..T-1 predicted), a float32 scalar with its graph.</summary>
    public static Tensor Loss(LlamaModel model, Tensor ids, LoraAdapterSet? adapters)
    {
        using var scope = NewDisposeScope();
        return Of(model.Logits(ids, adapters?.Layers), ids).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss of ids [B, T], its gradients accumulated into the adapters' A and B. With <paramref name="checkpointing"/>
    /// only each layer's input is kept during the forward pass and the backward pass recomputes one layer at a time from it:
    /// one layer's activations are resident instead of all of them, for one more forward pass.
    /// </summary>
    public static double LossAndGradients(LlamaModel model, Tensor ids, LoraAdapterSet adapters, bool checkpointing)
    {
        using var scope = NewDisposeScope();
        if (!checkpointing)
        {
            var loss = Loss(model, ids, adapters);
            loss.backward();
            return loss.item<float>();
        }
        var inputs = new List<Tensor>(model.LayerCount + 1);
        using (no_grad())
        {
            inputs.Add(model.Embed(ids));
            for (int l = 0; l < model.LayerCount; l++) inputs.Add(model.Layer(l, inputs[l], adapters.Layers[l]));
        }
        double lossValue;
        Tensor grad;
        // The head's float32 logits (tokens x vocab, three times over) are released before the layers are recomputed.
        using (NewDisposeScope())
        {
            var last = inputs[^1].detach().requires_grad_(true);
            var headLoss = Of(model.Head(last), ids);
            headLoss.backward();
            lossValue = headLoss.item<float>();
            grad = last.grad!.detach().MoveToOuterDisposeScope();
        }
        for (int l = model.LayerCount - 1; l >= 0; l--)
        {
            using var layerScope = NewDisposeScope();
            // The embedding is frozen: the first layer's input needs no gradient.
            var input = l == 0 ? inputs[0] : inputs[l].detach().requires_grad_(true);
            model.Layer(l, input, adapters.Layers[l]).backward([grad]);
            if (l > 0) grad = input.grad!.detach().MoveToOuterDisposeScope();
        }
        return lossValue;
    }

    private static Tensor Of(Tensor logits, Tensor ids)
    {
        long v = logits.shape[2];
        var predicted = logits.narrow(1, 0, logits.shape[1] - 1).reshape(-1, v);
        var targets = ids.to(logits.device).narrow(1, 1, ids.shape[1] - 1).reshape(-1).to(ScalarType.Int64);
        return F.cross_entropy(predicted, targets);
    }
}
