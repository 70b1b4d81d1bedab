namespace SlimLLM.Build;

/// <summary>The MSBuild codes of SlimLLM.Build's errors and warnings (docs/msbuild.md lists them). Manifest errors keep the tool's SLIM0xx.</summary>
public static class DiagnosticCodes
{
    /// <summary>Bad input (exit code 2) without a code of its own: a missing file, a bad setting, the environment.</summary>
    public const string BadInput = "SLIM100";
    /// <summary>An evaluate gate failed (exit code 3).</summary>
    public const string GateFailed = "SLIM101";
    /// <summary>A warning of the tool.</summary>
    public const string ToolWarning = "SLIM102";
    public const string ToolMissing = "SLIM103";
    public const string ManifestMissing = "SLIM104";
    /// <summary>The tool broke the contract: no report, a malformed one, another version, or an exit code the contract lacks.</summary>
    public const string BadReport = "SLIM105";
    /// <summary>An internal error of the tool (exit code 1): a bug.</summary>
    public const string InternalError = "SLIM106";
    /// <summary>The tool was stopped by SIGINT or SIGTERM (exit code 130 or 143).</summary>
    public const string Stopped = "SLIM107";
}
