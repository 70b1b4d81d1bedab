using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The engine's check that a layer's statistics, recovery fits and pruned weights live on the compute device. A tensor made
/// without a device lands on the host: on CUDA every batch's activations would then be copied to it and the float64 Gram
/// products, eigh and regressions run on the CPU, silently. Every layer is checked as it is pruned (a few device comparisons);
/// a test points <see cref="Expected"/> at another device to see the check fail.
/// </summary>
public sealed class DevicePlacement(Device expected)
{
    public Device Expected => expected;

    /// <summary>How many tensors have passed the check (a test asserts that the check saw them).</summary>
    public int Checked { get; private set; }

    /// <exception cref="InvalidOperationException">A tensor is on another device (a defect of the engine, not a user error).</exception>
    public void Require(string what, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            if (t.device_type != expected.type || (expected.index >= 0 && t.device_index != expected.index))
                throw new InvalidOperationException($"{what}: tensor '{name}' is on {t.device}, not on the compute device {expected}.");
            Checked++;
        }
    }
}
