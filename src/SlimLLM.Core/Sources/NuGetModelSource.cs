using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.Manifest;
using SlimLLM.Output;
using SlimLLM.Progress;

namespace SlimLLM.Sources;

/// <summary>
/// Makes a model packed as a NuGet package local. A version already in the NuGet global packages folder or in our
/// cache (<c>{CacheRoot}/nuget/{id}/{version}/</c>) is used as is; otherwise the package is found on the feeds of the
/// user's NuGet.Config (or the <c>feed:</c> override), downloaded with NuGet.Protocol and extracted safely into our cache.
/// </summary>
internal static class NuGetModelSource
{
    private const string ExtractedMarker = ".slimllm-extracted";

    public static async Task<ResolvedSource> ResolveAsync(NuGetSourceSpec spec, SourceOptions options, IProgressReporter progress, CancellationToken ct)
    {
        var label = $"nuget:{spec.PackageId}";
        var choice = NuGetVersionChoice.Parse(spec.VersionRange, label);
        var limits = ExtractionLimits.From(options.Env);
        var stall = options.EffectiveStallTimeout;
        var settings = NuGetFeeds.LoadSettings(options.ConfigRoot, label);
        var cached = new CachedPackages(spec.PackageId, options, settings);

        // A pinned version already here needs no feed at all.
        if (choice.Exact is not null && cached.Find(choice.Exact) is { } pinned)
            return Located(spec.PackageId, choice.Exact, pinned, "cached");
        if (options.Offline)
            return cached.Best(choice) is { } offline
                ? Located(spec.PackageId, offline.Version, offline.Folder, "cached, offline mode")
                : throw new SlimLLMException(label, $"offline mode: no cached version matches '{choice}' (looked in {cached.Describe()}).",
                    "Run once without --offline to download it.");

        var sources = NuGetFeeds.Sources(settings, new FeedOverride(spec.Feed, "feed:", "set feed: in the manifest"), label);
        using var cacheContext = new SourceCacheContext { NoCache = true, DirectDownload = true };
        var found = new List<(NuGetVersion Version, PackageSource Source, FindPackageByIdResource Finder)>();
        var failures = new List<string>();
        foreach (var source in sources)
        {
            try
            {
                var versions = await NuGetFeeds.WithDeadlineAsync(async token =>
                {
                    var finder = await Repository.Factory.GetCoreV3(source).GetResourceAsync<FindPackageByIdResource>(token);
                    return (await finder.GetAllVersionsAsync(spec.PackageId, cacheContext, NullLogger.Instance, token)).Select(v => (v, finder)).ToList();
                }, stall, $"{label} ({source.Source})", ct);
                found.AddRange(versions.Select(v => (v.v, source, v.finder)));
            }
            catch (SlimLLMException e) when (e.InnerException is not null)
            {
                failures.Add($"{source.Name} ({source.Source}): {e.Cause}");
            }
            catch (Exception e) when (e is FatalProtocolException or HttpRequestException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{source.Name} ({source.Source}): {e.Message}");
            }
        }

        var best = choice.Best(found.Select(f => f.Version));
        if (best is null)
        {
            if (failures.Count > 0 && cached.Best(choice) is { } fallback)
            {
                progress.Warn($"{label}: feeds unreachable ({string.Join("; ", failures)}); using cached {fallback.Version}.");
                return Located(spec.PackageId, fallback.Version, fallback.Folder, "cached, feeds unreachable");
            }
            throw NotFound(spec, choice, sources, found.Select(f => f.Version).Distinct().ToList(), failures, label);
        }
        if (cached.Find(best) is { } folder)
            return Located(spec.PackageId, best, folder, "cached");

        var (_, from, resource) = found.First(f => f.Version == best);
        progress.Info($"Downloading {spec.PackageId} {best} from {from.Name}.");
        var target = cached.OurFolder(best);
        await DownloadAndExtractAsync(spec.PackageId, best, resource, cacheContext, target, $"{label}@{best}", limits, stall, ct);
        return Located(spec.PackageId, best, target, $"downloaded from {from.Name}");
    }

    private static ResolvedSource Located(string id, NuGetVersion version, string folder, string how)
    {
        var origin = $"nuget:{id}@{version}";
        var model = PackagedModelLocator.Locate(folder, origin);
        return new ResolvedSource(model, $"nuget {id} {version} ({how}, {folder})", origin);
    }

    private static async Task DownloadAndExtractAsync(string id, NuGetVersion version, FindPackageByIdResource finder, SourceCacheContext context,
        string target, string label, ExtractionLimits limits, TimeSpan stall, CancellationToken ct)
    {
        using var folder = new AtomicFolder(target);
        var nupkg = Path.Combine(folder.TempPath, ".download.nupkg");
        if (!await NuGetFeeds.DownloadAsync(finder, id, version, context, nupkg, null, stall, label, ct))
            throw new SlimLLMException(label, "the feed listed this version but did not deliver the package.", "Check the feed, then run again.");
        // A name no package entry can have at the top, so moving the content up never meets itself.
        var extractRoot = Path.Combine(folder.TempPath, $".extract-{Guid.NewGuid():N}");
        SafeZipExtractor.Extract(nupkg, extractRoot, label, limits);
        File.Delete(nupkg);
        // Move extracted content up so the folder is the package root, then mark it complete.
        foreach (var entry in Directory.EnumerateFileSystemEntries(extractRoot))
        {
            var destination = Path.Combine(folder.TempPath, Path.GetFileName(entry));
            if (Directory.Exists(entry)) Directory.Move(entry, destination); else File.Move(entry, destination);
        }
        Directory.Delete(extractRoot);
        await File.WriteAllTextAsync(Path.Combine(folder.TempPath, ExtractedMarker), $"{id} {version.ToNormalizedString()}\n", ct);
        folder.Commit();
    }

    private static SlimLLMException NotFound(NuGetSourceSpec spec, NuGetVersionChoice choice, IReadOnlyList<PackageSource> sources,
        IReadOnlyList<NuGetVersion> versions, IReadOnlyList<string> failures, string label)
    {
        var searched = string.Join(", ", sources.Select(s => s.Source));
        var failed = failures.Count > 0 ? $" Feeds that failed: {string.Join("; ", failures)}." : "";
        if (versions.Count == 0)
            return new SlimLLMException(label, $"package '{spec.PackageId}' was not found on {searched}.{failed}",
                "Check the package id and the feed (feed: or NuGet.Config), and its credentials.");
        var listed = string.Join(", ", versions.OrderDescending().Take(10).Select(v => v.ToNormalizedString()));
        return new SlimLLMException(label, $"no version of '{spec.PackageId}' matches '{choice}'; available: {listed}.{failed}",
            "Change the version range, or publish a matching version.");
    }

    /// <summary>Versions already extracted: in the NuGet global packages folder (complete when .nupkg.metadata exists) or in our cache.</summary>
    private sealed class CachedPackages(string id, SourceOptions options, ISettings settings)
    {
        private readonly string _global = options.Env("NUGET_PACKAGES") ?? SettingsUtility.GetGlobalPackagesFolder(settings);
        private readonly string _ours = Path.Combine(options.CacheRoot, "nuget", id.ToLowerInvariant());

        public string OurFolder(NuGetVersion version) => Path.Combine(_ours, version.ToNormalizedString().ToLowerInvariant());

        public string? Find(NuGetVersion version)
        {
            var resolver = new VersionFolderPathResolver(_global);
            if (File.Exists(resolver.GetNupkgMetadataPath(id, version))) return resolver.GetInstallPath(id, version);
            var ours = OurFolder(version);
            return File.Exists(Path.Combine(ours, ExtractedMarker)) ? ours : null;
        }

        public (NuGetVersion Version, string Folder)? Best(NuGetVersionChoice choice)
        {
            var versions = new[] { Path.Combine(_global, id.ToLowerInvariant()), _ours }
                .Where(Directory.Exists)
                .SelectMany(Directory.EnumerateDirectories)
                .Select(d => NuGetVersion.TryParse(Path.GetFileName(d), out var v) ? v : null)
                .OfType<NuGetVersion>()
                .Where(v => Find(v) is not null);
            return choice.Best(versions) is { } best ? (best, Find(best)!) : null;
        }

        public string Describe() => $"{_global} and {_ours}";
    }
}
