namespace SlimLLM.Manifest;

/// <summary>
/// Stable codes of manifest errors. They are documented in docs/manifest-reference.md (a test keeps the table in step with
/// <see cref="All"/>); never renumber or reuse one.
/// </summary>
public static class ManifestErrorCode
{
    public const string SyntaxError = "SLIM001";
    public const string UnknownKey = "SLIM002";
    public const string WrongType = "SLIM003";
    public const string OutOfRange = "SLIM004";
    public const string MissingKey = "SLIM005";
    public const string InvalidValue = "SLIM006";
    public const string ConflictingKeys = "SLIM007";
    public const string FileNotFound = "SLIM008";
    public const string GlobMatchesNothing = "SLIM009";
    public const string DuplicateModelName = "SLIM010";
    public const string DuplicateKey = "SLIM011";
    public const string InvalidModelName = "SLIM012";
    public const string ManifestNotFound = "SLIM013";

    /// <summary>Every code with a one-line title, in order.</summary>
    public static IReadOnlyList<(string Code, string Title)> All { get; } =
    [
        (SyntaxError, "YAML syntax error"),
        (UnknownKey, "unknown key"),
        (WrongType, "wrong type"),
        (OutOfRange, "value out of range"),
        (MissingKey, "missing required key"),
        (InvalidValue, "value not allowed"),
        (ConflictingKeys, "conflicting keys"),
        (FileNotFound, "file or folder not found"),
        (GlobMatchesNothing, "calibration or tuning pattern matches no file"),
        (DuplicateModelName, "duplicate model name"),
        (DuplicateKey, "duplicate key"),
        (InvalidModelName, "invalid model name"),
        (ManifestNotFound, "manifest not found or unreadable"),
    ];
}
