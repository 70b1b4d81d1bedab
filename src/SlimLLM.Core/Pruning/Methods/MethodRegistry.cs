using SlimLLM.Errors;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// The one list of pruning methods, recoveries and calibration modes by name: the manifest (ManifestKeys), the command line
/// and <c>compare</c> look names up here. A new criterion is a <see cref="PruningMethod"/> in its own file plus one line here.
/// </summary>
public static class MethodRegistry
{
    public static IReadOnlyList<PruningMethod> Methods { get; } = [new SlimLlmMethod(), new MagnitudeMethod(), new WandaSpMethod(), new FlapMethod()];

    public static IReadOnlyList<PruningRecovery> Recoveries { get; } = [new RegressionRecovery(), new MeanBiasRecovery(), new RidgeRecovery(), new LeastSquaresRecovery()];

    /// <summary>The recovery name that turns the method's default recovery off.</summary>
    public const string NoRecovery = "none";

    public static IReadOnlyList<KeyValuePair<string, CalibrationMode>> Modes { get; } =
        [new("sequential", CalibrationMode.Sequential), new("dense", CalibrationMode.Dense)];

    /// <summary>The method used when none is named: SlimLLM.</summary>
    public static PruningMethod DefaultMethod => Methods[0];

    public static IEnumerable<string> MethodNames => Methods.Select(m => m.Name);

    /// <summary>The recovery names, <see cref="NoRecovery"/> last.</summary>
    public static IEnumerable<string> RecoveryNames => Recoveries.Select(r => r.Name).Append(NoRecovery);

    public static IEnumerable<string> ModeNames => Modes.Select(m => m.Key);

    /// <summary>The registered method of that name (any case), or null.</summary>
    public static PruningMethod? Find(string name) => Methods.FirstOrDefault(m => m.Name == name.ToLowerInvariant());

    public static PruningMethod Method(string name) =>
        Find(name)
        ?? throw new SlimLLMException(null, $"unknown pruning method '{name}'.", $"Use one of: {string.Join(", ", MethodNames)}.");

    /// <summary>The named recovery; null for <see cref="NoRecovery"/>.</summary>
    public static PruningRecovery? Recovery(string name) => name.ToLowerInvariant() == NoRecovery ? null
        : Recoveries.FirstOrDefault(r => r.Name == name.ToLowerInvariant())
          ?? throw new SlimLLMException(null, $"unknown recovery '{name}'.", $"Use one of: {string.Join(", ", RecoveryNames)}.");

    public static CalibrationMode Mode(string name) =>
        Modes.FirstOrDefault(m => m.Key == name.ToLowerInvariant()) is { Key: not null } m ? m.Value
        : throw new SlimLLMException(null, $"unknown calibration mode '{name}'.", $"Use {string.Join(" or ", ModeNames)}.");

    public static string ModeName(CalibrationMode mode) => Modes.First(m => m.Value == mode).Key;
}
