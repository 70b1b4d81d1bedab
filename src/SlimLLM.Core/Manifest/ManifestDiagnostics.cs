namespace SlimLLM.Manifest;

/// <summary>Collects the errors of one manifest; reported in file order.</summary>
internal sealed class ManifestDiagnostics(string file)
{
    private readonly List<ManifestError> _errors = [];

    public string File { get; } = file;
    public bool HasErrors => _errors.Count > 0;

    public void Add(string code, SourcePosition? position, string message, string fix) =>
        _errors.Add(new ManifestError(File, position, code, message, fix));

    /// <summary>Sorted by line and column; errors at one position keep the order they were found in.</summary>
    public IReadOnlyList<ManifestError> Errors =>
        _errors.OrderBy(e => e.Line ?? 0).ThenBy(e => e.Column ?? 0).ToList();
}
