namespace SlimLLM.Sources;

/// <summary>
/// What the hub says about one file before it is downloaded. <see cref="Etag"/> names the blob: the sha256 of the content
/// for LFS files (from <c>X-Linked-Etag</c>), the git blob id for small files (from <c>ETag</c>).
/// </summary>
internal sealed record HubFileMetadata(string Etag, long? Size, bool IsLfs)
{
    /// <summary>The sha256 the content must hash to; known for LFS files only.</summary>
    public string? ExpectedSha256 => IsLfs && Etag.Length == 64 ? Etag : null;

    public static string Normalize(string etag)
    {
        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }
}
