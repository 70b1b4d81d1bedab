using NuGet.Common;
using NuGet.Configuration;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>How the user overrides NuGet.Config's feeds: its value, its name (<c>feed:</c>, <c>--source</c>) and how to set it.</summary>
internal sealed record FeedOverride(string? Feed, string Name, string HowToSet);

/// <summary>
/// What every NuGet fetch here shares: the user's NuGet.Config (feeds and credentials), one feed given instead of them
/// (keeping the credentials NuGet.Config holds for it), and downloading one .nupkg with NuGet.Protocol.
/// </summary>
internal static class NuGetFeeds
{
    public static ISettings LoadSettings(string? configRoot, string label)
    {
        try
        {
            return Settings.LoadDefaultSettings(configRoot ?? Directory.GetCurrentDirectory());
        }
        catch (NuGetConfigurationException e)
        {
            throw new SlimLLMException(label, $"cannot read NuGet configuration: {e.Message}", "Fix the NuGet.Config file named in the message.", inner: e);
        }
    }

    public static IReadOnlyList<PackageSource> Sources(ISettings settings, FeedOverride feedOverride, string label)
    {
        var configured = new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled).ToList();
        var feed = feedOverride.Feed;
        if (feed is null)
            return configured.Count > 0 ? configured
                : throw new SlimLLMException(label, "no package source is enabled in NuGet.Config.", $"Add a feed to NuGet.Config or {feedOverride.HowToSet}.");
        bool isUrl = Uri.TryCreate(feed, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        if (!isUrl && !Directory.Exists(feed))
            throw new SlimLLMException(feed, "the feed folder does not exist.", $"Set {feedOverride.Name} to an existing folder of .nupkg files or an http(s) feed URL.");
        // A feed that NuGet.Config also names keeps that entry's credentials.
        return [configured.FirstOrDefault(s => string.Equals(s.Source.TrimEnd('/'), feed.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
                ?? new PackageSource(feed, "feed")];
    }

    /// <summary>
    /// Writes the .nupkg of <paramref name="id"/> <paramref name="version"/> to <paramref name="path"/>; false when the feed
    /// does not have it. NuGet.Protocol bounds each request and each read itself; on top, the download fails when no byte
    /// arrives for <paramref name="stall"/> (the progress deadline), and a full disk is one line naming the folder.
    /// </summary>
    public static async Task<bool> DownloadAsync(FindPackageByIdResource finder, string id, NuGetVersion version, SourceCacheContext context,
        string path, Action<long>? bytesWritten, TimeSpan stall, string label, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(stall);
        long written = 0;
        try
        {
            await using var file = File.Create(path);
            await using var counted = new CountingWriteStream(file, n =>
            {
                written = n;
                deadline.CancelAfter(stall);
                bytesWritten?.Invoke(n);
            });
            return await finder.CopyNupkgToStreamAsync(id, version, counted, context, NullLogger.Instance, deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw Stalled(label, stall, $"after {written:N0} bytes of the package", e);
        }
        catch (Exception e) when (Chain(e).OfType<IOException>().FirstOrDefault(HubErrors.IsDiskFull) is { } full)
        {
            throw new SlimLLMException(label, $"cannot write to {Path.GetDirectoryName(path)} (disk full): {full.Message.TrimEnd('.')}, after {written:N0} bytes of the package.",
                "Free disk space (or set SLIMLLM_CACHE / NUGET_PACKAGES to a folder with room), then run again.", inner: e);
        }
    }

    /// <summary>Runs a feed query (a version listing) under the progress deadline: nothing in <paramref name="stall"/> ends it.</summary>
    public static async Task<T> WithDeadlineAsync<T>(Func<CancellationToken, Task<T>> query, TimeSpan stall, string label, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(stall);
        try
        {
            return await query(deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw Stalled(label, stall, "listing the versions", e);
        }
    }

    private static SlimLLMException Stalled(string label, TimeSpan stall, string when, Exception e) =>
        new(label, $"no data from the feed for {stall.TotalSeconds:0.###} s {when} (progress deadline); gave up.",
            "Check the feed, the connection and any proxy; SLIMLLM_HTTP_STALL_TIMEOUT sets the deadline in seconds.", inner: e);

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}
