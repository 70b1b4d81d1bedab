using System.Diagnostics;
using System.Text.RegularExpressions;
using SlimLLM.Errors;
using SlimLLM.Sources;

namespace SlimLLM.Tests.Sources;

/// <summary>The hub client against a misbehaving server: stalls, wrong lengths, wrong hashes, a full disk, unsafe redirects.</summary>
public sealed partial class HuggingFaceSourceTests
{
    private string Incomplete(string file) => Blob(file) + ".incomplete";

    [Fact]
    public void StalledBody_FailsAfterTheReadTimeout_AndKeepsThePartialToResume()
    {
        _server.StallAt["model.safetensors"] = 1_000_000;
        var clock = Stopwatch.StartNew();

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(),
            Options(attempts: 1, env: new() { ["SLIMLLM_HTTP_READ_TIMEOUT"] = "1" })));

        clock.Stop();
        Assert.Equal("huggingface:tiny/stories/model.safetensors", e.File);
        Assert.Equal($"network failure talking to {_server.BaseUri}: no data for 1 s (read timeout, SLIMLLM_HTTP_READ_TIMEOUT)", e.Cause);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10.0); // bounded (it was forever); timers may fire a few ms early, a loaded machine late
        Assert.Equal(1_000_000, new FileInfo(Incomplete("model.safetensors")).Length);

        _server.StallAt.Clear();
        var resolved = ModelSourceResolver.Resolve(Spec(), Options(attempts: 1));
        Assert.Equal(_server.Files["model.safetensors"].Sha256, Sha256(Path.Combine(resolved.LocalPath, "model.safetensors")));
    }

    [Fact]
    public void StallOnEveryAttempt_EndsAtTheProgressDeadline()
    {
        _server.StallAt["model.safetensors"] = 300_000; // the first attempt gets 300,000 bytes, every resume none
        var clock = Stopwatch.StartNew();

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(attempts: 1000,
            env: new() { ["SLIMLLM_HTTP_READ_TIMEOUT"] = "0.5", ["SLIMLLM_HTTP_STALL_TIMEOUT"] = "2" })));

        clock.Stop();
        Assert.Equal($"no data from {_server.BaseUri} for 2 s (progress deadline); gave up.", e.Cause);
        Assert.StartsWith("Check the connection, proxy and HF_ENDPOINT; SLIMLLM_HTTP_STALL_TIMEOUT sets the deadline in seconds.", e.Fix);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 10.0); // timers may fire a few ms early
        var gets = _server.Requests.Count(r => r.Method == "GET" && r.Path.StartsWith("/blobs/", StringComparison.Ordinal));
        Assert.InRange(gets, 2, 10); // about 2 s / 0.5 s read timeouts (4 or 5 when idle), not 1000 attempts
        Assert.Equal(300_000, new FileInfo(Incomplete("model.safetensors")).Length);
    }

    [Fact]
    public void StalledApiAnswer_FailsAfterTheReadTimeout()
    {
        _server.StallApi = true;
        var clock = Stopwatch.StartNew();

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(),
            Options(env: new() { ["SLIMLLM_HTTP_READ_TIMEOUT"] = "1" })));

        Assert.Equal("huggingface:tiny/stories", e.File);
        Assert.EndsWith("no data for 1 s (read timeout, SLIMLLM_HTTP_READ_TIMEOUT)", e.Cause);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10.0); // bounded (it was forever); timers may fire a few ms early, a loaded machine late
    }

    [Theory]
    [InlineData("SLIMLLM_HTTP_READ_TIMEOUT", "soon")]
    [InlineData("SLIMLLM_HTTP_STALL_TIMEOUT", "0")]
    [InlineData("SLIMLLM_HTTP_STALL_TIMEOUT", "NaN")]
    public void InvalidTimeoutVariable_IsOneClearError(string variable, string value)
    {
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(env: new() { [variable] = value })));
        Assert.Equal(variable, e.File);
        Assert.Equal($"'{value}' is not a number of seconds above 0.", e.Cause);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void EndlessBody_StopsOneBytePastTheAnnouncedSize_AndKeepsNothing()
    {
        var model = _server.Files["model.safetensors"];
        _server.Resize["model.safetensors"] = 64L << 20; // 64 MiB of junk after the file, no Content-Length

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/model.safetensors", e.File);
        Assert.Equal($"the server sent more than the announced {model.Content.Length:N0} bytes; the download was stopped and deleted.", e.Cause);
        Assert.False(File.Exists(Incomplete("model.safetensors")));
        Assert.False(File.Exists(Blob("model.safetensors")));
        Assert.False(File.Exists(Path.Combine(Snapshot, "model.safetensors")));
    }

    [Fact]
    public void ShortBody_IsAnError_AndNothingIsPublished()
    {
        var config = _server.Files["config.json"];
        _server.Resize["config.json"] = -10; // the connection closes 10 bytes early, no Content-Length to tell

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(attempts: 1)));

        Assert.Equal("huggingface:tiny/stories/config.json", e.File);
        Assert.EndsWith($"the connection closed after {config.Content.Length - 10} of {config.Content.Length} bytes", e.Cause);
        Assert.False(File.Exists(Blob("config.json")));
        Assert.False(File.Exists(Path.Combine(Snapshot, "config.json")));
        Assert.False(File.Exists(Path.Combine(RepoCache, "refs", "main")));
    }

    [Fact]
    public void TransferAnnouncingAnotherLength_IsRefusedBeforeWriting()
    {
        var model = _server.Files["model.safetensors"];
        _server.AnnounceSize["model.safetensors"] = model.Content.Length - 1; // HEAD says one byte less than the GET's Content-Length

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal($"the transfer announces {model.Content.Length:N0} bytes but the hub's metadata says {model.Content.Length - 1:N0}; nothing was written.", e.Cause);
        Assert.False(File.Exists(Incomplete("model.safetensors")));
        Assert.False(File.Exists(Blob("model.safetensors")));
    }

    [Fact]
    public void CorruptedSmallFile_IsRejectedByItsGitBlobSha1()
    {
        var config = _server.Files["config.json"];
        _server.Corrupt.Add("config.json");
        var actual = (config with { Content = FakeHubServer.Corrupted(config.Content) }).GitBlobSha1;

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/config.json", e.File);
        Assert.Equal($"downloaded content has git blob sha1 {actual} but the hub announced {config.GitBlobSha1}; the corrupt download was deleted.", e.Cause);
        Assert.False(File.Exists(Blob("config.json")));
        Assert.False(File.Exists(Incomplete("config.json")));
        Assert.False(File.Exists(Path.Combine(Snapshot, "config.json")));
    }

    [Fact]
    public void DiskFull_IsOneLineNamingTheFolderAndTheSpace_AndKeepsNothing()
    {
        if (!File.Exists("/dev/full")) return; // Linux: every write to /dev/full fails with ENOSPC
        var config = _server.Files["config.json"];
        var opened = new List<string>();
        Stream DevFull(string path, FileMode mode)
        {
            File.WriteAllBytes(path, []); // the partial file exists, as it would on a real disk
            opened.Add(path);
            return new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        }

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(openDownloadFile: DevFull)));

        var blobs = Path.Combine(RepoCache, "blobs");
        Assert.Equal("huggingface:tiny/stories/config.json", e.File);
        Assert.StartsWith($"cannot write to {blobs} (disk full): ", e.Cause);
        Assert.EndsWith($"; the download needs {config.Content.Length:N0} bytes there; the partial download was deleted.", e.Cause);
        Assert.Equal("Free disk space or set HF_HOME to a folder with room, then run again.", e.Fix);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal([Incomplete("config.json")], opened); // not retried as a network failure
        Assert.Empty(Directory.GetFiles(blobs));
    }

    [Fact]
    public void TooLittleFreeSpace_IsRefusedBeforeDownloading()
    {
        const long exabyte = 1L << 60;
        _server.AnnounceSize["model.safetensors"] = exabyte;

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/model.safetensors", e.File);
        Assert.StartsWith($"the download needs {exabyte:N0} bytes in {Path.Combine(RepoCache, "blobs")} but only ", e.Cause);
        Assert.EndsWith(" are free; nothing was downloaded.", e.Cause);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "GET" && r.Path.StartsWith("/blobs/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("file:///etc/passwd", "'file' is not http(s)")]
    [InlineData("ftp://127.0.0.1/blob", "'ftp' is not http(s)")]
    public void RedirectToAnotherScheme_IsRefused(string location, string why)
    {
        _server.RedirectTo["model.safetensors"] = location;

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/model.safetensors", e.File);
        Assert.Equal($"the server redirected {_server.BaseUri}tiny/stories/resolve/{_server.Commit}/model.safetensors to {new Uri(location).GetLeftPart(UriPartial.Path)}, which is refused: {why}.", e.Cause);
        Assert.Equal("Only http(s) redirects are followed, never from https to http; check HF_ENDPOINT and any proxy in between.", e.Fix);
    }

    [Fact]
    public void RedirectFromHttpsToHttp_IsRefused_AndTheTokenNeverTravelsInClear()
    {
        // The endpoint is https; the handler stands in for TLS by carrying https requests to the plain-http fake hub.
        _server.RequiredToken = "hf_secret";
        var https = new UriBuilder(_server.BaseUri) { Scheme = "https" }.Uri;
        var blob = $"{_server.BaseUri}blobs/{_server.Files["model.safetensors"].Sha256}";
        _server.RedirectTo["model.safetensors"] = blob + "?X-Amz-Signature=secret";

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(),
            Options(token: "hf_secret", endpoint: https, handler: () => new TlsStandIn())));

        Assert.Equal($"the server redirected {https}tiny/stories/resolve/{_server.Commit}/model.safetensors to {blob}, which is refused: a downgrade from https to http.", e.Cause);
        Assert.DoesNotContain("secret", e.Message);
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal));
    }

    /// <summary>Sends https:// requests to the same host and port over plain http, as a TLS-terminating proxy in front of the fake hub would.</summary>
    private sealed class TlsStandIn() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri!.Scheme == Uri.UriSchemeHttps)
                request.RequestUri = new UriBuilder(request.RequestUri) { Scheme = "http" }.Uri;
            return base.SendAsync(request, ct);
        }
    }
}

public sealed partial class HuggingFaceSourceTests
{
    public static TheoryData<string> HostileRevisionAnswers => new()
    {
        """{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":null}]}""",
        """{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"name":"config.json"}]}""",
        """{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":{"rfilename":"config.json"}}""",
        """{"sha":5}""",
        """[]""",
        """{"sha":""",
        "\uFEFF<html>502 Bad Gateway</html>",
        new string('[', 10_000) + new string(']', 10_000),
    };

    [Theory]
    [MemberData(nameof(HostileRevisionAnswers))]
    public void HostileRevisionAnswer_IsOneLine(string body)
    {
        _server.ApiBody = body;

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories", e.File);
        Assert.StartsWith("the hub's answer for revision 'main' is not the expected JSON (", e.Cause);
        Assert.Equal(HubErrors.NotAHubHint, e.Fix);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("config.json", 300)]        // longer than a file name may be
    [InlineData("model.safetensors", 300)]
    [InlineData("config.json", 0)]           // empty
    public void HostileEtag_IsOneLine(string file, int length)
    {
        _server.EtagOverride[file] = new string('a', length);

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal($"huggingface:tiny/stories/{file}", e.File);
        Assert.Equal($"the hub returned an unusable etag '{new string('a', length)}' (a cache file name needs 1 to 128 letters, digits, '-', '_' or '.').", e.Cause);
        Assert.False(Directory.Exists(Path.Combine(RepoCache, "blobs")) && Directory.GetFiles(Path.Combine(RepoCache, "blobs")).Any(f => Path.GetFileName(f).StartsWith("aaa", StringComparison.Ordinal)));
    }
}

public sealed partial class HuggingFaceSourceTests
{
    [Theory]
    [InlineData("bad\\u0000name.json")]
    [InlineData("bad\\nname.json")]
    [InlineData("LONGNAME.json")]
    public void HostileFileNameInTheListing_IsOneLine(string name)
    {
        name = name.Replace("LONGNAME", new string('x', 300));
        _server.ApiBody = $$"""{"sha":"{{_server.Commit}}","siblings":[{"rfilename":"config.json"},{"rfilename":"{{name}}"}]}""";

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories", e.File);
        Assert.StartsWith("the hub returned an unsafe file name '", e.Cause);
        Assert.DoesNotContain('\n', e.Message);
    }
}

public sealed partial class HuggingFaceSourceTests
{
    [Fact]
    public void CacheFolderThatIsAFile_IsOneLine()
    {
        Directory.CreateDirectory(RepoCache);
        File.WriteAllText(Path.Combine(RepoCache, "snapshots"), "not a folder");

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/config.json", e.File);
        Assert.StartsWith($"cannot write to the cache folder {Snapshot}: ", e.Cause);
        Assert.Equal("Check HF_HOME points at a writable folder with free space, then run again.", e.Fix);
        Assert.True(File.Exists(Blob("config.json"))); // the verified blob stays; the next run only links it
    }
}

public sealed partial class HuggingFaceSourceTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le")]              // headers cut off
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"sh")] // body cut off
    [InlineData("SMTP ready\r\n\r\n")]                          // not HTTP
    [InlineData("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")]
    public void BrokenApiResponse_IsOneLine(string raw)
    {
        _server.ApiRaw = raw;

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(attempts: 1)));

        Assert.Equal("huggingface:tiny/stories", e.File);
        Assert.Matches(raw.Contains(" 500 ") ? @"^the hub answered HTTP 500 \(InternalServerError\)\.$" : $"^network failure talking to {Regex.Escape(_server.BaseUri.ToString())}: ", e.Cause);
        Assert.DoesNotContain('\n', e.Message);
    }
}
