using NuGet.Configuration;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using SlimLLM.Sources;

namespace SlimLLM.Compute.Install;

/// <summary>
/// The feeds a package is looked for on, in NuGet.Config's order (or the one <c>--source</c> feed). Opened on the
/// first download only, so an install with nothing to download reads no configuration and contacts no feed. A feed
/// that failed once (unreachable, 401) is not asked again in this run.
/// </summary>
internal sealed class PackageFeeds(string? configRoot, string? source) : IDisposable
{
    private readonly SourceCacheContext _context = new() { NoCache = true, DirectDownload = true };
    private readonly Dictionary<PackageSource, FindPackageByIdResource> _finders = [];
    private readonly List<(PackageSource Source, Exception Error)> _failures = [];
    private IReadOnlyList<PackageSource>? _sources;

    /// <summary>Downloads the .nupkg to <paramref name="path"/> from the first feed that has it; returns that feed's URL or folder.</summary>
    public async Task<string> DownloadAsync(string id, NuGetVersion version, string path, Action<long> bytesWritten, CancellationToken ct)
    {
        var label = CudaInstallErrors.Label(id, version.ToNormalizedString());
        _sources ??= NuGetFeeds.Sources(NuGetFeeds.LoadSettings(configRoot, label), new FeedOverride(source, "--source", "pass --source FEED"), label);
        foreach (var feed in _sources.Where(s => _failures.All(f => f.Source != s)))
        {
            try
            {
                if (!_finders.TryGetValue(feed, out var finder))
                    _finders[feed] = finder = await Repository.Factory.GetCoreV3(feed).GetResourceAsync<FindPackageByIdResource>(ct);
                if (await NuGetFeeds.DownloadAsync(finder, id, version, _context, path, bytesWritten, SourceOptions.StallTimeoutFromEnvironment(), label, ct))
                    return feed.Source;
            }
            catch (Exception e) when (e is NuGetProtocolException or HttpRequestException)
            {
                _failures.Add((feed, e));
            }
        }
        throw CudaInstallErrors.NotFound(id, version.ToNormalizedString(), _sources, _failures);
    }

    public void Dispose() => _context.Dispose();
}
