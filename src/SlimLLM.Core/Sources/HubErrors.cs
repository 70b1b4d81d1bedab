using System.Net;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>The user-facing errors of hub access: each names the repository or file, the cause, and what to do.</summary>
internal static class HubErrors
{
    public const string OfflineHint = "slimllm prune --offline (or HF_HUB_OFFLINE=1) resolves from the local cache alone.";
    public const string NotAHubHint = "Check HF_ENDPOINT points at a Hugging Face hub or mirror.";
    private const string AlteredHint = "Run again to download it afresh; if it repeats, a proxy or mirror (HF_ENDPOINT) is altering the file.";
    private const string DiskHint = "Free disk space or set HF_HOME to a folder with room, then run again.";

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
        Transfer(new(Label(repository, file),
            $"network failure talking to {endpoint}: {e.Message}",
            "Check the connection, proxy and HF_ENDPOINT, then run again: a partial download resumes where it stopped. " + OfflineHint,
            inner: e), retryable: true);

    /// <summary>The progress deadline passed: not retried, since the attempts already had their time.</summary>
    public static SlimLLMException Stalled(string repository, string? file, string endpoint, TimeSpan deadline) =>
        Transfer(new(Label(repository, file),
            $"no data from {endpoint} for {deadline.TotalSeconds:0.###} s (progress deadline); gave up.",
            "Check the connection, proxy and HF_ENDPOINT; SLIMLLM_HTTP_STALL_TIMEOUT sets the deadline in seconds. A partial download resumes on the next run. " + OfflineHint),
            retryable: false);

    private const string TransferKey = "SlimLLM.Sources.HubTransfer";

    /// <summary>Marks a failed transfer (the hub unreachable, a broken or stalled connection), unlike a wrong answer or a disk error.</summary>
    private static SlimLLMException Transfer(SlimLLMException e, bool retryable)
    {
        e.Data[TransferKey] = retryable;
        return e;
    }

    /// <summary>A failed transfer: the cached snapshot may stand in for the hub.</summary>
    public static bool IsTransferFailure(Exception e) => e is SlimLLMException && e.Data.Contains(TransferKey);

    /// <summary>A transfer that broke off and may be resumed; a stalled one already had its time.</summary>
    public static bool IsRetryable(Exception e) => e is SlimLLMException && e.Data[TransferKey] is true;

    public static SlimLLMException HashMismatch(string repository, string file, string algorithm, string expected, string actual) =>
        new(Label(repository, file),
            $"downloaded content has {algorithm} {actual} but the hub announced {expected}; the corrupt download was deleted.",
            AlteredHint);

    public static SlimLLMException SizeMismatch(string repository, string file, long expected, long actual) =>
        new(Label(repository, file),
            $"downloaded {actual} bytes but the hub announced {expected}; the bad download was deleted.",
            AlteredHint);

    public static SlimLLMException Oversized(string repository, string file, long announced) =>
        new(Label(repository, file),
            $"the server sent more than the announced {announced:N0} bytes; the download was stopped and deleted.",
            AlteredHint);

    public static SlimLLMException LengthDisagrees(string repository, string file, long announced, long transfer) =>
        new(Label(repository, file),
            $"the transfer announces {transfer:N0} bytes but the hub's metadata says {announced:N0}; nothing was written.",
            AlteredHint);

    public static SlimLLMException Disk(string repository, string file, string folder, long? needed, Exception e) =>
        new(Label(repository, file),
            $"cannot write to {folder}{(IsDiskFull(e) ? " (disk full)" : "")}: {e.Message.TrimEnd('.')}{(needed is { } n ? $"; the download needs {n:N0} bytes there" : "")}; the partial download was deleted.",
            DiskHint,
            inner: e);

    public static SlimLLMException NoSpace(string repository, string file, string folder, long needed, long free) =>
        new(Label(repository, file),
            $"the download needs {needed:N0} bytes in {folder} but only {free:N0} are free; nothing was downloaded.",
            DiskHint);

    /// <summary>ENOSPC (28) on Linux and macOS, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception e) => e is IOException io && IO.DiskSpace.IsDiskFull(io);

    public static SlimLLMException RefusedRedirect(string repository, string? file, Uri from, Uri to, string why) =>
        new(Label(repository, file),
            $"the server redirected {from.GetLeftPart(UriPartial.Path)} to {Printable(to)}, which is refused: {why}.",
            "Only http(s) redirects are followed, never from https to http; check HF_ENDPOINT and any proxy in between.");

    /// <summary>A URL without its query (signed storage URLs carry credentials there).</summary>
    private static string Printable(Uri uri) => uri.IsAbsoluteUri ? uri.GetLeftPart(UriPartial.Path) : uri.OriginalString;
}
