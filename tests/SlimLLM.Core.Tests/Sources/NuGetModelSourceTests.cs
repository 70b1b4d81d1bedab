using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Models;
using SlimLLM.Sources;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Sources;

public sealed partial class NuGetModelSourceTests : IDisposable
{
    private const string Id = TestPackages.Id;
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-nuget");

    public NuGetModelSourceTests()
    {
        TestPackages.Build(Feed, "1.0.0", TestPackages.ConfigOnly(TestData.TinyStoriesLlama));
        TestPackages.Build(Feed, "1.5.0", TestPackages.ModelFiles(TestData.TinyStoriesLlama));
        TestPackages.Build(Feed, "2.0.0", TestPackages.ConfigOnly(TestData.TinyStoriesLlama));
    }

    public void Dispose() => _temp.Dispose();

    private string Feed => _temp.File("feed");
    private string CacheRoot => _temp.File("cache");
    private string GlobalPackages => _temp.File("global-packages");

    private SourceOptions Options(bool offline = false, Dictionary<string, string>? env = null) => new()
    {
        CacheRoot = CacheRoot,
        Offline = offline,
        ConfigRoot = _temp.Path,
        Environment = name => name == "NUGET_PACKAGES" ? GlobalPackages : env?.GetValueOrDefault(name),
    };

    private NuGetSourceSpec Spec(string? range, string id = Id) => new(id, range, Feed);

    private string Extracted(string version) => Path.Combine(CacheRoot, "nuget", Id.ToLowerInvariant(), version);

    [Fact]
    public void Interval_PicksTheHighestVersionInside_AndTheModelOpens()
    {
        var resolved = ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options());

        Assert.Equal(Path.Combine(Extracted("1.5.0"), "content"), resolved.LocalPath);
        Assert.StartsWith($"nuget {Id} 1.5.0 (downloaded from feed", resolved.Description);
        using var model = ModelLoader.Open(resolved.LocalPath);
        Assert.Equal(128, model.Config.HiddenSize);
        Assert.Equal(2, model.Config.NumLayers);
    }

    [Theory]
    [InlineData("1.0.0", "1.0.0")]   // a bare version pins exactly
    [InlineData(null, "2.0.0")]      // no range: the highest stable version
    [InlineData("(1.0,2.0]", "2.0.0")]
    [InlineData("1.*", "1.5.0")]     // floating
    public void VersionChoice(string? range, string expected)
    {
        var resolved = ModelSourceResolver.Resolve(Spec(range), Options());
        Assert.Equal(Path.Combine(Extracted(expected), "content"), resolved.LocalPath);
    }

    [Fact]
    public void UnknownPackage_IsOneClearError()
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("1.0.0", id: "No.Such.Model"), Options()));
        Assert.Equal("nuget:No.Such.Model", e.File);
        Assert.Equal($"package 'No.Such.Model' was not found on {Feed}.", e.Cause);
        Assert.Equal("Check the package id and the feed (feed: or NuGet.Config), and its credentials.", e.Fix);
    }

    [Fact]
    public void NoMatchingVersion_ListsWhatIsAvailable()
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("[3.0,4.0)"), Options()));
        Assert.Equal($"no version of '{Id}' matches '[3.0,4.0)'; available: 2.0.0, 1.5.0, 1.0.0.", e.Cause);
        var pinned = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("1.2.0"), Options()));
        Assert.Equal($"no version of '{Id}' matches '1.2.0'; available: 2.0.0, 1.5.0, 1.0.0.", pinned.Cause);
    }

    [Theory]
    [InlineData("[1.0,,2")]
    [InlineData("one")]
    [InlineData("[2.0,1.0]")]
    public void InvalidRange_IsRejectedBeforeAnyFeedIsAsked(string range)
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(new NuGetSourceSpec(Id, range, _temp.File("no-such-feed")), Options()));
        Assert.Equal($"nuget:{Id}", e.File);
        Assert.Equal($"'{range}' is not a valid NuGet version or version range.", e.Cause);
    }

    [Theory]
    [InlineData("../../evil.txt")]
    [InlineData("content/%2e%2e/%2e%2e/%2e%2e/evil.txt")]
    [InlineData("/tmp/evil.txt")]
    public void ZipSlipEntry_RefusesTheWholePackage(string entry)
    {
        TestPackages.Build(Feed, "1.9.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), (entry, "owned"u8.ToArray())]);

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("1.9.0"), Options()));

        Assert.Equal($"nuget:{Id}@1.9.0", e.File);
        Assert.Equal($"entry '{entry}' would be extracted outside the package folder (path traversal); nothing was extracted.", e.Cause);
        Assert.False(Directory.Exists(Extracted("1.9.0")));
        Assert.Empty(Directory.EnumerateFiles(CacheRoot, "evil.txt", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(_temp.Path, "evil.txt", SearchOption.AllDirectories));
    }

    [Fact]
    public void SecondResolve_FetchesNothing()
    {
        var first = ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options());
        // Swap the feed's 1.5.0 for a malicious package of the same identity: extracting it again would fail.
        TestPackages.Build(Feed, "1.5.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("../../evil.txt", "x"u8.ToArray())]);

        var second = ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options());

        Assert.Equal(first.LocalPath, second.LocalPath);
        Assert.StartsWith($"nuget {Id} 1.5.0 (cached,", second.Description);

        Directory.Delete(Feed, recursive: true);
        var pinned = ModelSourceResolver.Resolve(new NuGetSourceSpec(Id, "1.5.0", "https://127.0.0.1:9/never-contacted/index.json"), Options());
        Assert.Equal(first.LocalPath, pinned.LocalPath); // a pinned cached version needs no feed at all
    }

    [Fact]
    public void Offline_UsesTheCache_AndFailsClearlyWithoutIt()
    {
        var missing = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options(offline: true)));
        Assert.StartsWith("offline mode: no cached version matches '[1.0,2.0)'", missing.Cause);
        Assert.Equal("Run once without --offline to download it.", missing.Fix);

        var online = ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options());
        Directory.Delete(Feed, recursive: true);
        var offline = ModelSourceResolver.Resolve(Spec("[1.0,2.0)"), Options(offline: true));
        Assert.Equal(online.LocalPath, offline.LocalPath);
    }

    [Fact]
    public void PackageInTheGlobalPackagesFolder_IsUsedWithoutTheFeed()
    {
        var installed = Path.Combine(GlobalPackages, Id.ToLowerInvariant(), "1.7.0");
        Directory.CreateDirectory(Path.Combine(installed, "contentFiles", "any", "any", "model"));
        File.Copy(Path.Combine(TestData.TinyStoriesLlama, "config.json"), Path.Combine(installed, "contentFiles", "any", "any", "model", "config.json"));
        File.WriteAllText(Path.Combine(installed, ".nupkg.metadata"), "{\"version\": 2}");

        var resolved = ModelSourceResolver.Resolve(new NuGetSourceSpec(Id, "1.7.0", _temp.File("empty-feed-never-read")), Options());

        Assert.Equal(Path.Combine(installed, "contentFiles", "any", "any", "model"), resolved.LocalPath);
    }

    [Fact]
    public void GgufPackage_ResolvesToTheGgufFile()
    {
        TestPackages.Build(Feed, "3.0.0", [("models/stories260K.gguf", File.ReadAllBytes(TestData.Stories260KGguf))]);

        var resolved = ModelSourceResolver.Resolve(Spec("3.0.0"), Options());

        Assert.Equal(Path.Combine(Extracted("3.0.0"), "models", "stories260K.gguf"), resolved.LocalPath);
        using var model = ModelLoader.Open(resolved.LocalPath);
        Assert.Equal("gguf", model.Format);
    }

    [Fact]
    public void PackageWithoutModel_SaysWhereItLooked()
    {
        TestPackages.Build(Feed, "4.0.0", [("lib/readme.txt", "no model here"u8.ToArray())]);

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("4.0.0"), Options()));

        Assert.Equal($"nuget:{Id}@4.0.0", e.File);
        Assert.Equal("holds no model: no config.json and no .gguf file under content/, contentFiles/any/any/, models/ or the package root.", e.Cause);
    }

    [Fact]
    public void MissingFeedFolder_IsOneClearError()
    {
        var feed = _temp.File("missing-feed");
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(new NuGetSourceSpec(Id, "[1.0,2.0)", feed), Options()));
        Assert.Equal(feed, e.File);
        Assert.Equal("the feed folder does not exist.", e.Cause);
    }
}
