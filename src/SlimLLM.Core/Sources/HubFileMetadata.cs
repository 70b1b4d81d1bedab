namespace SlimLLM.Sources;

/// <summary>
/// What the hub says about one file before it is downloaded. <see cref="Etag"/> names the blob: the sha256 of the content
/// for LFS files (from <c>X-Linked-Etag</c>), the git blob id for small files (from <c>ETag</c>).
/// </summary>
internal sealed record HubFileMetadata(string Etag, long? Size, bool IsLfs)
{
    /// <summary>The sha256 the content must hash to; known for LFS files only.</summary>
    public string? ExpectedSha256 => IsLfs && IsHex(Etag, 64) ? Etag : null;

    /// <summary>
    /// The git blob id (sha1 of <c>"blob {length}\0"</c> and the content) the content must hash to: the hub's ETag for files
    /// kept in git rather than LFS. Null when the ETag is not 40 hex digits (a mirror that sends its own ETags).
    /// </summary>
    public string? ExpectedGitBlobSha1 => !IsLfs && IsHex(Etag, 40) ? Etag : null;

    /// <summary>The etag names the blob file: short, and only characters that are safe in any file system (no separators, no "..").</summary>
    public static bool IsUsableEtag(string etag) =>
        etag.Length is > 0 and <= 128 && etag is not ("." or "..") && etag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsHex(string text, int length) => text.Length == length && text.All(char.IsAsciiHexDigit);

    public static string Normalize(string etag)
    {
        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }
}
