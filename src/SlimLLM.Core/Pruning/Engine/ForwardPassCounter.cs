namespace SlimLLM.Pruning.Engine;

/// <summary>Counts calibration forward passes through decoder layers (one per layer per batch).</summary>
internal sealed class ForwardPassCounter
{
    private long _value;
    public long Value => _value;
    public void Add(long n = 1) => Interlocked.Add(ref _value, n);
}
