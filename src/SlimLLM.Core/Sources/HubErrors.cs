using System.Net;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>The user-facing errors of hub access: each names the repository or file, the cause, and what to do.</summary>
internal static class HubErrors
{
    public const string OfflineHint = "HF_HUB_OFFLINE=1 resolves from the local cache alone.";

    public static string Label(string repository, string? file = null) => file is null ? $"huggingface:{repository}" : $"huggingface:{repository}/{file}";

    public static SlimLLMException ForStatus(HttpStatusCode status, string repository, string revision, string? file, bool hasToken)
    {
        int code = (int)status;
        var label = Label(repository, file);
        return status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new SlimLLMException(label,
                $"access denied by the hub (HTTP {code}).",
                hasToken
                    ? $"HF_TOKEN was refused for {repository}: check the token is valid and has read access (gated repositories need their terms accepted on the hub), and check the repository name."
                    : $"The repository is private, gated or misspelt: set HF_TOKEN to a token with read access to {repository} (https://huggingface.co/settings/tokens), and check the repository name."),
            HttpStatusCode.NotFound when file is null => new SlimLLMException(label,
                $"repository or revision not found (HTTP 404): no '{repository}' at revision '{revision}'.",
                "Check the repository name (org/name) and the revision (branch, tag or commit)."),
            HttpStatusCode.NotFound => new SlimLLMException(label,
                $"file '{file}' not found at revision '{revision}' (HTTP 404).",
                "Check the files: globs and the revision."),
            _ => new SlimLLMException(label,
                $"the hub answered HTTP {code} ({status}).",
                "Retry later; check HF_ENDPOINT points at a working hub or mirror. " + OfflineHint),
        };
    }

    public static SlimLLMException Network(string repository, string? file, string endpoint, Exception e) =>
        new(Label(repository, file),
            $"network failure talking to {endpoint}: {e.Message}",
            "Check the connection, proxy and HF_ENDPOINT, then run again: a partial download resumes where it stopped. " + OfflineHint,
            inner: e);

    public static SlimLLMException HashMismatch(string repository, string file, string expected, string actual) =>
        new(Label(repository, file),
            $"downloaded content has sha256 {actual} but the hub announced {expected}; the corrupt download was deleted.",
            "Run again to download it afresh; if it repeats, a proxy or mirror (HF_ENDPOINT) is altering the file.");

    public static SlimLLMException SizeMismatch(string repository, string file, long expected, long actual) =>
        new(Label(repository, file),
            $"downloaded {actual} bytes but the hub announced {expected}; the bad download was deleted.",
            "Run again to download it afresh; if it repeats, a proxy or mirror (HF_ENDPOINT) is altering the file.");

    public static SlimLLMException Disk(string repository, string file, string folder, IOException e) =>
        new(Label(repository, file),
            $"cannot write to the cache folder {folder}: {e.Message}",
            "Free disk space or set HF_HOME to a folder with room; the partial download is kept and resumes on the next run.",
            inner: e);
}
