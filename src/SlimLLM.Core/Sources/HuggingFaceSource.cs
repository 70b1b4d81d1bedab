using Microsoft.Extensions.FileSystemGlobbing;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Progress;

namespace SlimLLM.Sources;

/// <summary>
/// Makes a Hugging Face Hub repository local in the huggingface_hub cache: lists the revision's files, keeps those the
/// globs select, downloads the ones the snapshot lacks, and answers the snapshot folder (or its one .gguf file).
/// </summary>
internal static class HuggingFaceSource
{
    public const string DefaultEndpoint = "https://huggingface.co/";

    public static async Task<ResolvedSource> ResolveAsync(HuggingFaceSourceSpec spec, SourceOptions options, IProgressReporter progress, CancellationToken ct)
    {
        HubCacheLayout.EnsureSafeRelative(spec.Repository, spec.Repository, "repository name");
        if (spec.Repository.Count(c => c == '/') > 1)
            throw new SlimLLMException(HubErrors.Label(spec.Repository), "is not a repository name of the form org/name.", "Write huggingface: org/name.");
        HubCacheLayout.EnsureSafeRelative(spec.Repository, spec.Revision, "revision");
        var hubRoot = HubCacheLayout.HubRoot(options);
        var layout = new HubCacheLayout(hubRoot, spec.Repository);
        var files = spec.Files.Count > 0 ? spec.Files : HuggingFaceSourceSpec.DefaultFiles;

        if (options.Offline || IsTrue(options.Env("HF_HUB_OFFLINE")))
            return FromCache(spec, layout, files, hubRoot, reason: "offline mode");

        var endpoint = Endpoint(options);
        using var deadline = new NetworkDeadline(options.EffectiveReadTimeout, options.EffectiveStallTimeout, ct);
        using var http = new HttpClient(options.HttpHandlerFactory(), disposeHandler: true) { Timeout = deadline.ReadTimeout };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("SlimLLM.Build/0.1");
        var client = new HubClient(http, deadline, endpoint, options.Env("HF_TOKEN"), spec.Repository);

        string commit;
        IReadOnlyList<string> repoFiles;
        try
        {
            (commit, repoFiles) = await client.GetRevisionAsync(spec.Revision, ct);
        }
        catch (SlimLLMException e) when (HubErrors.IsTransferFailure(e) && layout.ReadRef(spec.Revision) is not null)
        {
            progress.Warn($"{e.Message} Using the cached snapshot instead.");
            return FromCache(spec, layout, files, hubRoot, reason: "hub unreachable");
        }
        if (!HubCacheLayout.IsCommitHash(commit))
            throw new SlimLLMException(HubErrors.Label(spec.Repository), $"the hub answered commit '{commit}', which is not a commit hash.", HubErrors.NotAHubHint);

        var selected = Select(repoFiles, files);
        if (selected.Count == 0)
            throw new SlimLLMException(HubErrors.Label(spec.Repository),
                $"no file at revision '{spec.Revision}' matches files: [{string.Join(", ", files)}]; the repository has {Listing(repoFiles)}.",
                "Change the files: globs to select the model's files.");
        foreach (var file in selected) HubCacheLayout.EnsureSafeRelative(spec.Repository, file, "file name");

        var downloader = new HubBlobDownloader(client, layout, progress, Math.Max(1, options.DownloadAttempts), options.OpenDownloadFile);
        int fetched = 0;
        foreach (var file in selected)
        {
            if (layout.HasSnapshotFile(commit, file)) continue;
            var meta = await client.GetFileMetadataAsync(commit, file, ct);
            if (!File.Exists(layout.BlobPath(meta.Etag)))
            {
                progress.Info($"Downloading {spec.Repository}/{file}{(meta.Size is { } size ? $" ({size:N0} bytes)" : "")}.");
                await downloader.DownloadAsync(commit, file, meta, ct);
                fetched++;
            }
            WriteCache(() => layout.LinkSnapshotFile(commit, file, meta.Etag), spec.Repository, file, layout.SnapshotFolder(commit));
        }
        WriteCache(() => layout.WriteRef(spec.Revision, commit), spec.Repository, null, Path.Combine(layout.RepoFolder, "refs"));

        var entry = ModelEntryPoint.Choose(layout.SnapshotFolder(commit), selected, HubErrors.Label(spec.Repository));
        return new ResolvedSource(entry, $"huggingface {spec.Repository}@{spec.Revision} (commit {commit}, {fetched} file(s) downloaded, cache {layout.RepoFolder})",
            $"huggingface:{spec.Repository}@{commit}");
    }

    private static ResolvedSource FromCache(HuggingFaceSourceSpec spec, HubCacheLayout layout, IReadOnlyList<string> globs, string hubRoot, string reason)
    {
        var commit = layout.ReadRef(spec.Revision)
                     ?? throw new SlimLLMException(HubErrors.Label(spec.Repository),
                         $"{reason}: revision '{spec.Revision}' is not in the local cache {hubRoot}.",
                         "Run once online (without HF_HUB_OFFLINE=1 or --offline) to download it, or set HF_HOME to the cache that holds it.");
        var cached = Select(layout.SnapshotFiles(commit), globs);
        if (cached.Count == 0)
            throw new SlimLLMException(HubErrors.Label(spec.Repository),
                $"{reason}: the cached snapshot {layout.SnapshotFolder(commit)} holds no file matching files: [{string.Join(", ", globs)}].",
                "Run once online to download the files, or change the files: globs.");
        var entry = ModelEntryPoint.Choose(layout.SnapshotFolder(commit), cached, HubErrors.Label(spec.Repository));
        return new ResolvedSource(entry, $"huggingface {spec.Repository}@{spec.Revision} (commit {commit}, from the local cache, {reason})",
            $"huggingface:{spec.Repository}@{commit}");
    }

    internal static IReadOnlyList<string> Select(IEnumerable<string> files, IReadOnlyList<string> globs)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs) matcher.AddInclude(glob);
        return files.Where(f => matcher.Match(f).HasMatches).Order(StringComparer.Ordinal).ToList();
    }

    private static Uri Endpoint(SourceOptions options)
    {
        var raw = options.Env("HF_ENDPOINT") ?? DefaultEndpoint;
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new SlimLLMException("HF_ENDPOINT", $"'{raw}' is not an http(s) URL.", "Set HF_ENDPOINT to the hub or mirror's base URL, e.g. https://huggingface.co.");
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>A cache write after the download (snapshot link, ref): a failure is one line naming the folder.</summary>
    private static void WriteCache(Action write, string repository, string? file, string folder)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlimLLMException(HubErrors.Label(repository, file), $"cannot write to the cache folder {folder}: {e.Message}",
                "Check HF_HOME points at a writable folder with free space, then run again.", inner: e);
        }
    }

    private static bool IsTrue(string? value) => value is not null && value.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    private static string Listing(IReadOnlyList<string> files) =>
        files.Count == 0 ? "no files" : string.Join(", ", files.Order(StringComparer.Ordinal).Take(20)) + (files.Count > 20 ? $", … ({files.Count} in all)" : "");
}
