namespace SlimLLM.Pruning.Engine;

/// <summary>The FFN activations a = silu(gate f) * up f and the dense FFN output y of every calibration batch.</summary>
internal sealed class FfnActivations(BatchTensors activations, BatchTensors outputs) : IDisposable
{
    public BatchTensors Activations => activations;
    public BatchTensors Outputs => outputs;
    public void Dispose() { activations.Dispose(); outputs.Dispose(); }
}
