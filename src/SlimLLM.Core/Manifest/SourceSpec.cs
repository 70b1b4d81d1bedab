namespace SlimLLM.Manifest;

/// <summary>Where the dense model comes from: exactly one of <c>path</c>, <c>nuget</c> or <c>huggingface</c>.</summary>
public abstract record SourceSpec;

/// <summary>A local Hugging Face folder (config.json + safetensors) or .gguf file; <see cref="Path"/> is absolute and exists.</summary>
public sealed record PathSourceSpec(string Path) : SourceSpec;

/// <summary>
/// A NuGet package holding the model. <see cref="VersionRange"/> is NuGet's syntax (<c>1.2.0</c>, <c>[1.0,2.0)</c>), null for
/// the latest; <see cref="Feed"/> is an http(s) URL or an absolute folder, null for the default feeds.
/// </summary>
public sealed record NuGetSourceSpec(string PackageId, string? VersionRange, string? Feed) : SourceSpec;

/// <summary>A Hugging Face Hub repository (<c>org/name</c>) at a revision, downloading the files matching <see cref="Files"/>.</summary>
public sealed record HuggingFaceSourceSpec(string Repository, string Revision, IReadOnlyList<string> Files) : SourceSpec
{
    public const string DefaultRevision = "main";
    public static IReadOnlyList<string> DefaultFiles { get; } = ["*.json", "*.safetensors", "tokenizer.model"];
}
