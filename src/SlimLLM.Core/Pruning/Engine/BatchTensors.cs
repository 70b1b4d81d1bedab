using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>Per-batch tensors of one calibration pass that later steps of the same layer reuse; disposed together.</summary>
internal sealed class BatchTensors(List<Tensor> values) : IDisposable
{
    public IReadOnlyList<Tensor> Values => values;
    public Tensor this[int b] => values[b];
    public void Dispose() { foreach (var t in values) t.Dispose(); values.Clear(); }
}
