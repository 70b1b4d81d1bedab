using System.CommandLine;
using System.Globalization;
using SlimLLM.Errors;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Tool.Commands;

/// <summary>Parses the method/recovery/mode names shared by `prune` and `compare`.</summary>
public static class PruneNames
{
    public static readonly string[] Methods = ["slimllm", "magnitude", "wanda-sp", "flap"];
    public static readonly string[] Recoveries = ["regression", "mean-bias", "ridge", "none"];

    public static PruningMethod Method(string name) => name.ToLowerInvariant() switch
    {
        "slimllm" => PruningMethod.SlimLLM,
        "magnitude" => PruningMethod.Magnitude,
        "wanda-sp" => PruningMethod.WandaSp,
        "flap" => PruningMethod.Flap,
        _ => throw new SlimLLMException(null, $"unknown pruning method '{name}'.", $"Use one of: {string.Join(", ", Methods)}."),
    };

    /// <summary>Null means the method's default; "none" is returned as (null, true).</summary>
    public static (RecoveryMethod? Method, bool None) Recovery(string? name) => name?.ToLowerInvariant() switch
    {
        null or "" or "default" => (null, false),
        "regression" => (RecoveryMethod.Regression, false),
        "mean-bias" => (RecoveryMethod.MeanBias, false),
        "ridge" => (RecoveryMethod.Ridge, false),
        "none" => (null, true),
        _ => throw new SlimLLMException(null, $"unknown recovery '{name}'.", $"Use one of: {string.Join(", ", Recoveries)}."),
    };

    public static CalibrationMode Mode(string name) => name.ToLowerInvariant() switch
    {
        "sequential" => CalibrationMode.Sequential,
        "dense" => CalibrationMode.Dense,
        _ => throw new SlimLLMException(null, $"unknown calibration mode '{name}'.", "Use sequential or dense."),
    };

    public static double[] Fractions(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1 ? v
            : throw new SlimLLMException(null, $"'{s}' is not a fraction between 0 and 1.", "Write targets like 0.2,0.5.")).ToArray();
}
