using SlimLLM.Errors;

namespace SlimLLM.Resources;

/// <summary>
/// A user error caused by one setting, named by its manifest key (<c>calibration.seq_len</c>, <c>evaluate[0].seq_len</c>), so that
/// a manifest run can report it at the setting's line and column.
/// </summary>
public sealed class SettingException(string setting, string? file, string cause, string? fix) : SlimLLMException(file, cause, fix)
{
    public string Setting { get; } = setting;
}
