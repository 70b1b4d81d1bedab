using static TorchSharp.torch;

namespace SlimLLM.Models;

/// <summary>
/// Something added to a layer's projections during the forward pass without changing their weights, such as LoRA adapters
/// being trained: <c>linear(x, W, b) + Delta(role, x)</c>.
/// </summary>
public interface IProjectionAdapters
{
    /// <summary>What to add to the output of the projection <paramref name="role"/> (a weight role) for input <paramref name="input"/>; null: nothing.</summary>
    Tensor? Delta(LayerTensorRole role, Tensor input);
}
