using System.CommandLine;
using System.Globalization;
using SlimLLM.Errors;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;

namespace SlimLLM.Tool.Commands;

/// <summary>Parses the method/recovery/mode names shared by `prune` and `compare` (the names are <see cref="MethodRegistry"/>'s).</summary>
public static class PruneNames
{
    public static PruningMethod Method(string name) => MethodRegistry.Method(name);

    /// <summary>A criterion that replaces the method's for one block (attention or FFN); null when not named.</summary>
    /// <param name="option">Names the option in the error for an unknown criterion.</param>
    public static PruningMethod? Criterion(string? name, string option = "criterion") => string.IsNullOrEmpty(name) ? null
        : MethodRegistry.Find(name)
          ?? throw new SlimLLMException(null, $"{option} '{name}' is not a pruning criterion.", $"Use one of: {string.Join(", ", MethodRegistry.MethodNames)}.");

    /// <summary>Null means the method's default; "none" is returned as (null, true).</summary>
    public static (PruningRecovery? Recovery, bool None) Recovery(string? name) => name?.ToLowerInvariant() switch
    {
        null or "" or "default" => (null, false),
        MethodRegistry.NoRecovery => (null, true),
        _ => (MethodRegistry.Recovery(name), false),
    };

    public static CalibrationMode Mode(string name) => MethodRegistry.Mode(name);

    public static double[] Fractions(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1 ? v
            : throw new SlimLLMException(null, $"'{s}' is not a fraction between 0 and 1.", "Write targets like 0.2,0.5.")).ToArray();
}
