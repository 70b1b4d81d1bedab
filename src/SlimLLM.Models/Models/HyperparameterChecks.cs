using System.Globalization;
using System.Text.RegularExpressions;
using SlimLLM.Errors;
using SlimLLM.IO;

namespace SlimLLM.Models;

/// <summary>
/// Range checks of a model's hyperparameters (config.json keys or GGUF metadata), made before anything is allocated from
/// them. Each failure is one line naming the file, the key, the value and the fix.
/// </summary>
internal sealed partial class HyperparameterChecks(string file, string fix)
{
    /// <summary>
    /// No LLaMA-family model has more than a few hundred decoder layers; the bound keeps a corrupt count from allocating a
    /// per-layer list of gigabytes when no weights are at hand to compare it with (<see cref="LayersPresent"/> is the real check).
    /// </summary>
    public const int MaxLayers = 100_000;

    public string File => file;

    public int AtLeastOne(string key, int value) =>
        value >= 1 ? value : throw OutOfRange(key, value.ToString(CultureInfo.InvariantCulture), "at least 1");

    /// <summary>
    /// The longest context accepted (16,777,216 tokens; the longest published is 10,485,760): the rotary tables of generation
    /// are sized by it, so a corrupt value must not reach them.
    /// </summary>
    public const int MaxContext = 1 << 24;

    public int Layers(string key, int value) => AtMost(key, AtLeastOne(key, value), MaxLayers, "no LLaMA-family model has more layers");

    public int Context(string key, int value) => AtMost(key, AtLeastOne(key, value), MaxContext, "no LLaMA-family model has a longer context");

    private int AtMost(string key, int value, int max, string why) => value <= max ? value
        : throw OutOfRange(key, value.ToString(CultureInfo.InvariantCulture), $"at most {max:N0} ({why})");

    public double PositiveFinite(string key, double value) => double.IsFinite(value) && value > 0 ? value
        : throw OutOfRange(key, value.ToString("R", CultureInfo.InvariantCulture), "a finite number above 0");

    /// <summary>The head size when the file gives none: the hidden size must split evenly over the heads.</summary>
    public int HeadDim(string hiddenKey, int hidden, string headsKey, int heads) => hidden % heads == 0 ? hidden / heads
        : throw new SlimLLMException(file, $"\"{hiddenKey}\" ({hidden}) is not divisible by \"{headsKey}\" ({heads}), so the heads have no whole size.", fix);

    /// <summary>RoPE rotates pairs of dimensions: the head size must be even.</summary>
    public int EvenHeadDim(string key, int headDim) => headDim % 2 == 0 ? headDim
        : throw OutOfRange(key, headDim.ToString(CultureInfo.InvariantCulture), "even (rotary embeddings rotate pairs of dimensions)");

    /// <summary>
    /// The declared layer count must be the number of decoder layers the weights hold (indices 0..n-1 under
    /// <paramref name="layerPrefix"/>): checked before a per-layer list is built, so a count of a billion fails at once.
    /// </summary>
    public void LayersPresent(string key, int declared, ITensorStore weights, string layerPrefix)
    {
        var indices = new HashSet<int>();
        foreach (var name in weights.Names)
        {
            if (!name.StartsWith(layerPrefix, StringComparison.Ordinal)) continue;
            var m = LayerIndex().Match(name, layerPrefix.Length);
            if (m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var i)) indices.Add(i);
        }
        int present = indices.Count == 0 ? 0 : indices.Max() + 1;
        if (declared == present && indices.Count == present) return;
        var held = indices.Count == 0 ? "no decoder layers"
            : indices.Count == present ? $"{present} decoder layers ({layerPrefix}0 to {layerPrefix}{present - 1})"
            : $"decoder layers {layerPrefix}0 to {layerPrefix}{present - 1} with {present - indices.Count} missing";
        throw new SlimLLMException(file, $"\"{key}\" is {declared} but {Path.GetFileName(weights.Path)} holds {held}.",
            indices.Count == present && present > 0 ? $"Set \"{key}\" to {present}, or use the file that came with these weights." : fix);
    }

    private SlimLLMException OutOfRange(string key, string value, string expected) =>
        new(file, $"\"{key}\" is {value}; it must be {expected}.", fix);

    [GeneratedRegex(@"\G([0-9]{1,9})\.")]
    private static partial Regex LayerIndex();
}
