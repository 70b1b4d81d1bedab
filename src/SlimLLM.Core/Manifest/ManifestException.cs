using SlimLLM.Errors;

namespace SlimLLM.Manifest;

/// <summary>
/// Every problem found in a manifest at once. <see cref="Exception.Message"/> lists them one per line in MSBuild's canonical
/// format (<see cref="ManifestError.ToString"/>), in the order they appear in the file.
/// </summary>
public sealed class ManifestException : SlimLLMException
{
    public ManifestException(string file, IReadOnlyList<ManifestError> errors)
        : base(file, Describe(errors), line: errors.FirstOrDefault()?.Line, column: errors.FirstOrDefault()?.Column)
    {
        if (errors.Count == 0) throw new ArgumentException("A manifest exception needs at least one error.", nameof(errors));
        Errors = errors;
    }

    public IReadOnlyList<ManifestError> Errors { get; }

    public override string Message => string.Join("\n", Errors.Select(e => e.ToString()));

    private static string Describe(IReadOnlyList<ManifestError> errors) =>
        errors.Count == 1 ? $"{errors[0].Message} {errors[0].Fix}" : $"{errors.Count} errors in the manifest.";
}
