using System.Buffers.Binary;
using System.IO.Compression;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Sources;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Sources;

/// <summary>Hostile packages: zip bombs, lying headers, colliding entries.</summary>
public sealed partial class NuGetModelSourceTests
{
    private SlimLLMException Refused(string version, SourceOptions? options = null)
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(version), options ?? Options()));
        Assert.Equal($"nuget:{Id}@{version}", e.File);
        Assert.False(Directory.Exists(Extracted(version)));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(Extracted(version))!)); // no temporary folder left
        return e;
    }

    [Fact]
    public void ZipBomb_EntryAboveTheRatioLimit_IsRefusedBeforeWriting()
    {
        var path = TestPackages.Build(Feed, "5.0.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("content/zeros.bin", new byte[64 << 20])],
            compression: CompressionLevel.SmallestSize);
        using (var zip = ZipFile.OpenRead(path))
        {
            var bomb = zip.GetEntry("content/zeros.bin")!;
            Assert.InRange(bomb.Length / (double)bomb.CompressedLength, 500, 1100); // deflate on zeros
        }

        var e = Refused("5.0.0");

        Assert.Matches(@"^entry 'content/zeros\.bin' expands \d+:1 \(67,108,864 bytes from [\d,]+\), above the limit of 100:1 \(a zip bomb\); nothing was extracted\.$", e.Cause);
        Assert.Equal("Do not use the package; if it is genuine, raise SLIMLLM_NUPKG_MAX_RATIO.", e.Fix);
    }

    [Fact]
    public void RatioLimit_CanBeRaised()
    {
        TestPackages.Build(Feed, "5.0.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("content/zeros.bin", new byte[4 << 20])]);

        var resolved = ModelSourceResolver.Resolve(Spec("5.0.0"), Options(env: new() { ["SLIMLLM_NUPKG_MAX_RATIO"] = "2000" }));

        Assert.Equal(4 << 20, new FileInfo(Path.Combine(resolved.LocalPath, "zeros.bin")).Length);
    }

    [Fact]
    public void PackageAboveTheSizeLimit_IsRefusedBeforeWriting()
    {
        // 1.5.0 holds the whole model: 2,715,433 bytes.
        var e = Refused("1.5.0", Options(env: new() { ["SLIMLLM_NUPKG_MAX_SIZE"] = "1MB" }));

        long total = Directory.GetFiles(TestData.TinyStoriesLlama).Sum(f => new FileInfo(f).Length) + NuspecLength("1.5.0");
        Assert.Equal($"the package would extract to {total:N0} bytes, above the limit of {1 << 20:N0}; nothing was extracted.", e.Cause);
        Assert.Equal("Do not use the package; if it is genuine, raise SLIMLLM_NUPKG_MAX_SIZE (e.g. 800GB).", e.Fix);
    }

    [Theory]
    [InlineData("SLIMLLM_NUPKG_MAX_SIZE", "lots")]
    [InlineData("SLIMLLM_NUPKG_MAX_SIZE", "NaN")]
    [InlineData("SLIMLLM_NUPKG_MAX_RATIO", "0.5")]
    public void InvalidLimitVariable_IsOneClearError(string variable, string value)
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec("1.5.0"), Options(env: new() { [variable] = value })));
        Assert.Equal(variable, e.File);
        Assert.StartsWith($"'{value}' is not a ", e.Cause);
    }

    [Fact]
    public void EntryLongerThanItsDeclaredSize_IsCutThereAndRefused()
    {
        var tokenizer = File.ReadAllBytes(Path.Combine(TestData.TinyStoriesLlama, "tokenizer.json"));
        var path = TestPackages.Build(Feed, "5.1.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("content/tokenizer.json", tokenizer)]);
        DeclareSize(path, "content/tokenizer.json", 1000); // the headers now claim 1,000 bytes

        var e = Refused("5.1.0");

        // .NET's reader stops at the declared size, so the cut shows as a CRC-32 that does not match the header's.
        var crc = Crc32.Append(0, tokenizer.AsSpan(0, 1000)).ToString("x8");
        var headerCrc = Crc32.Append(0, tokenizer).ToString("x8");
        Assert.Equal($"entry 'content/tokenizer.json' does not match its header (1,000 of 1,000 bytes, CRC-32 {crc} where the header says {headerCrc}); extraction stopped.", e.Cause);
    }

    [Theory]
    [InlineData("content/extra", "content/extra/x")]
    [InlineData("content/extra/x", "content/extra")]
    [InlineData("content/a", "content/a/b/c")]
    public void FileAndFolderOfOneName_IsOneClearError(string first, string second)
    {
        TestPackages.Build(Feed, "5.2.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), (first, "1"u8.ToArray()), (second, "2"u8.ToArray())]);

        var e = Refused("5.2.0");

        var file = first.Length < second.Length ? first : second;
        var inside = first.Length < second.Length ? second : first;
        Assert.Equal($"entry '{file}' is a file, but entry '{inside}' needs a folder of that name; nothing was extracted.", e.Cause);
        Assert.StartsWith("The package is malformed or malicious", e.Fix);
    }

    [Fact]
    public void OneEntryNameTwice_IsRefused()
    {
        TestPackages.Build(Feed, "5.3.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("content/x.txt", "1"u8.ToArray()), ("content/%78.txt", "2"u8.ToArray())]);

        var e = Refused("5.3.0");

        Assert.Equal("entries 'content/x.txt' and 'content/%78.txt' are one file; nothing was extracted.", e.Cause);
    }

    [Fact]
    public void TopLevelFolderNamedPackage_IsExtractedLikeAnyOther()
    {
        TestPackages.Build(Feed, "5.4.0", [.. TestPackages.ConfigOnly(TestData.TinyStoriesLlama), ("package/readme.txt", "hello"u8.ToArray())]);

        var resolved = ModelSourceResolver.Resolve(Spec("5.4.0"), Options());

        Assert.Equal(Path.Combine(Extracted("5.4.0"), "content"), resolved.LocalPath);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(Extracted("5.4.0"), "package", "readme.txt")));
    }

    private long NuspecLength(string version)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(Feed, $"{Id}.{version}.nupkg"));
        return zip.GetEntry($"{Id}.nuspec")!.Length;
    }

    /// <summary>Rewrites the uncompressed size of <paramref name="entry"/> in its local header and the central directory.</summary>
    private static void DeclareSize(string path, string entry, uint size)
    {
        var bytes = File.ReadAllBytes(path);
        var name = System.Text.Encoding.UTF8.GetBytes(entry);
        int patched = 0;
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            var (sizeAt, nameLengthAt, nameAt) = signature switch
            {
                0x04034b50 => (22, 26, 30), // local file header
                0x02014b50 => (24, 28, 46), // central directory header
                _ => (-1, 0, 0),
            };
            if (sizeAt < 0) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + nameLengthAt));
            if (i + nameAt + nameLength > bytes.Length || !bytes.AsSpan(i + nameAt, nameLength).SequenceEqual(name)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + sizeAt), size);
            patched++;
        }
        Assert.Equal(2, patched);
        File.WriteAllBytes(path, bytes);
    }
}

/// <summary>A feed over HTTP that stalls: the progress deadline ends the wait.</summary>
public sealed class NuGetFeedStallTests : IDisposable
{
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-nuget-http");
    private readonly FakeNuGetFeed _feed;

    public NuGetFeedStallTests()
    {
        TestPackages.Build(_temp.File("feed"), "1.5.0", TestPackages.ModelFiles(TestData.TinyStoriesLlama));
        _feed = new FakeNuGetFeed(_temp.File("feed"));
    }

    public void Dispose()
    {
        _feed.Dispose();
        _temp.Dispose();
    }

    private SourceOptions Options() => new()
    {
        CacheRoot = _temp.File("cache"),
        ConfigRoot = _temp.Path,
        Environment = name => name switch
        {
            "NUGET_PACKAGES" => _temp.File("global-packages"),
            "SLIMLLM_HTTP_STALL_TIMEOUT" => "3", // NuGet's first listing in a process can take over a second on a loaded machine
            _ => null,
        },
    };

    private NuGetSourceSpec Spec => new(TestPackages.Id, "1.5.0", _feed.ServiceIndex);

    private (SlimLLMException Error, double Seconds) FailTimed()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec, Options()));
        return (e, clock.Elapsed.TotalSeconds);
    }

    [Fact]
    public void HttpFeed_Works()
    {
        var resolved = ModelSourceResolver.Resolve(Spec, Options());
        Assert.EndsWith(Path.Combine("1.5.0", "content"), resolved.LocalPath);
    }

    [Fact]
    public void StalledPackageDownload_EndsAtTheProgressDeadline_AndLeavesNothing()
    {
        _feed.StallPackages = true;

        var (e, seconds) = FailTimed();

        Assert.Equal($"nuget:{TestPackages.Id}@1.5.0", e.File);
        Assert.Matches(@"^no data from the feed for 3 s after [\d,]+ bytes of the package \(progress deadline\); gave up\.$", e.Cause);
        Assert.InRange(seconds, 3.0, 12.0);
        Assert.False(Directory.Exists(Path.Combine(_temp.File("cache"), "nuget")) && Directory.EnumerateFileSystemEntries(Path.Combine(_temp.File("cache"), "nuget"), "*", SearchOption.AllDirectories).Any(File.Exists));
    }

    [Fact]
    public void StalledVersionListing_EndsAtTheProgressDeadline()
    {
        _feed.StallListings = true;

        var (e, seconds) = FailTimed();

        Assert.Contains($"Feeds that failed: feed ({_feed.ServiceIndex}): no data from the feed for 3 s listing the versions (progress deadline); gave up.", e.Cause);
        Assert.InRange(seconds, 3.0, 12.0);
    }
}
