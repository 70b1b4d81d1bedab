namespace SlimLLM.Pruning.Engine;

/// <summary>Where the statistics of layer l come from.</summary>
public enum CalibrationMode
{
    /// <summary>The paper: layer l sees the outputs of the already-pruned layers 0..l-1; FFN statistics follow the pruned attention.</summary>
    Sequential,
    /// <summary>All statistics from the dense model only (layers independent of each other's pruning).</summary>
    Dense,
}
