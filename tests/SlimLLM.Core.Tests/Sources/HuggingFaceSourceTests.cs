using System.Security.Cryptography;
using SlimLLM.Errors;
using SlimLLM.Manifest;
using SlimLLM.Models;
using SlimLLM.Sources;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Sources;

public sealed partial class HuggingFaceSourceTests : IDisposable
{
    private const string Repo = "tiny/stories";
    private readonly TempDir _temp = TestData.NewTempDir("slimllm-hf");
    private readonly FakeHubServer _server;

    public HuggingFaceSourceTests()
    {
        string Read(string name) => Path.Combine(TestData.TinyStoriesLlama, name);
        FakeHubServer.HubFile Small(string name) => new(name, File.ReadAllBytes(Read(name)), Lfs: false);
        FakeHubServer.HubFile Large(string name) => new(name, File.ReadAllBytes(Read(name)), Lfs: true);
        _server = new FakeHubServer(Repo,
        [
            Small("config.json"), Small("generation_config.json"), Small("special_tokens_map.json"), Small("tokenizer_config.json"),
            Large("tokenizer.json"), Large("model.safetensors"),
            new("README.md", "# tiny stories\n"u8.ToArray(), Lfs: false),
        ]);
    }

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private string HfHome => _temp.File("hf-home");
    private string RepoCache => Path.Combine(HfHome, "hub", "models--tiny--stories");
    private string Snapshot => Path.Combine(RepoCache, "snapshots", _server.Commit);

    private SourceOptions Options(string? token = null, bool offline = false, int attempts = 3, Uri? endpoint = null,
        Dictionary<string, string>? env = null, Func<string, FileMode, Stream>? openDownloadFile = null, Func<HttpMessageHandler>? handler = null)
    {
        var defaults = new SourceOptions { CacheRoot = "" };
        return new SourceOptions
        {
            CacheRoot = _temp.File("cache"),
            Offline = offline,
            DownloadAttempts = attempts,
            ReadTimeout = TimeSpan.FromSeconds(20),
            StallTimeout = TimeSpan.FromSeconds(40),
            OpenDownloadFile = openDownloadFile ?? defaults.OpenDownloadFile,
            HttpHandlerFactory = handler ?? defaults.HttpHandlerFactory,
            Environment = name => name switch
            {
                "HF_HOME" => HfHome,
                "HF_ENDPOINT" => (endpoint ?? _server.BaseUri).ToString(),
                "HF_TOKEN" => token,
                _ => env?.GetValueOrDefault(name),
            },
        };
    }

    private string Blob(string file) => Path.Combine(RepoCache, "blobs", _server.Files[file].Etag);

    private static HuggingFaceSourceSpec Spec(string repo = Repo, string revision = "main") => new(repo, revision, HuggingFaceSourceSpec.DefaultFiles);

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Resolve_StoresFilesInHuggingFaceCacheLayout_AndTheModelOpens()
    {
        var resolved = ModelSourceResolver.Resolve(Spec(), Options());

        Assert.Equal(Snapshot, resolved.LocalPath);
        Assert.Equal(_server.Commit, File.ReadAllText(Path.Combine(RepoCache, "refs", "main")));
        string[] expected = ["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"];
        Assert.Equal(expected, Directory.GetFiles(Snapshot).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in expected)
        {
            var hubFile = _server.Files[name];
            Assert.Equal($"../../blobs/{hubFile.Etag}", new FileInfo(Path.Combine(Snapshot, name)).LinkTarget);
            Assert.Equal(hubFile.Sha256, Sha256(Path.Combine(Snapshot, name)));
        }
        Assert.False(File.Exists(Path.Combine(Snapshot, "README.md"))); // not selected by the default globs
        // LFS files went through the 302 to /blobs/; small files came straight from the resolve URL.
        Assert.Contains(_server.Requests, r => r is { Method: "GET", Path: var p } && p == $"/blobs/{_server.Files["model.safetensors"].Sha256}");
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal) && r.Method == "HEAD");

        using var model = ModelLoader.Open(resolved.LocalPath);
        Assert.Equal(128, model.Config.HiddenSize);
        Assert.Equal(2, model.Config.NumLayers);
        Assert.Equal(2048, model.Config.VocabSize);
    }

    [Fact]
    public void SecondResolve_MakesNoFileRequests()
    {
        var first = ModelSourceResolver.Resolve(Spec(), Options());
        _server.Requests.Clear();

        var second = ModelSourceResolver.Resolve(Spec(), Options());

        Assert.Equal(first.LocalPath, second.LocalPath);
        Assert.Empty(_server.FileRequests);
        Assert.Equal([$"/api/models/{Repo}/revision/main"], _server.Requests.Select(r => r.Path));
        Assert.Contains("0 file(s) downloaded", second.Description);
    }

    [Fact]
    public void NewCommitWithSameFiles_ReusesBlobs_WithoutDownloading()
    {
        ModelSourceResolver.Resolve(Spec(), Options());
        var oldCommit = _server.Commit;
        _server.Commit = "fedcba9876543210fedcba9876543210fedcba98";
        _server.Requests.Clear();

        var resolved = ModelSourceResolver.Resolve(Spec(), Options());

        Assert.Equal(Path.Combine(RepoCache, "snapshots", _server.Commit), resolved.LocalPath);
        Assert.NotEqual(oldCommit, _server.Commit);
        Assert.All(_server.FileRequests, r => Assert.Equal("HEAD", r.Method)); // hashes checked, no bytes fetched
        Assert.Equal(6, _server.FileRequests.Count);
        Assert.Equal(_server.Files["model.safetensors"].Sha256, Sha256(Path.Combine(resolved.LocalPath, "model.safetensors")));
    }

    [Fact]
    public void Offline_ResolvesFromTheCacheAlone_AndFailsClearlyWithoutIt()
    {
        var missing = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(offline: true)));
        Assert.Equal("huggingface:tiny/stories", missing.File);
        Assert.Equal($"offline mode: revision 'main' is not in the local cache {Path.Combine(HfHome, "hub")}.", missing.Cause);
        Assert.StartsWith("Run once online", missing.Fix);

        var online = ModelSourceResolver.Resolve(Spec(), Options());
        _server.Requests.Clear();
        var offline = ModelSourceResolver.Resolve(Spec(), Options(offline: true));

        Assert.Equal(online.LocalPath, offline.LocalPath);
        Assert.Empty(_server.Requests);
        Assert.Contains("from the local cache, offline mode", offline.Description);
    }

    [Fact]
    public void HfHubOfflineVariable_IsHonoured()
    {
        ModelSourceResolver.Resolve(Spec(), Options());
        _server.Requests.Clear();
        var options = Options();
        var env = options.Environment;
        var offline = new SourceOptions { CacheRoot = options.CacheRoot, Environment = n => n == "HF_HUB_OFFLINE" ? "1" : env(n) };

        Assert.Equal(Snapshot, ModelSourceResolver.Resolve(Spec(), offline).LocalPath);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void PrivateRepository_NeedsTheToken()
    {
        _server.RequiredToken = "hf_secret";

        var none = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));
        Assert.Equal("access denied by the hub (HTTP 401).", none.Cause);
        Assert.StartsWith("The repository is private, gated or misspelt: set HF_TOKEN", none.Fix);

        var wrong = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(token: "hf_wrong")));
        Assert.Equal("access denied by the hub (HTTP 401).", wrong.Cause);
        Assert.StartsWith("HF_TOKEN was refused for tiny/stories", wrong.Fix);

        _server.Requests.Clear();
        var resolved = ModelSourceResolver.Resolve(Spec(), Options(token: "hf_secret"));
        Assert.Equal(Snapshot, resolved.LocalPath);
        Assert.All(_server.Requests.Where(r => !r.Path.StartsWith("/blobs/", StringComparison.Ordinal)),
            r => Assert.Equal("Bearer hf_secret", r.Authorization));
    }

    [Fact]
    public void TruncatedTransfer_ResumesWithRangeOnTheNextAttempt()
    {
        var model = _server.Files["model.safetensors"];
        _server.CutNextTransfer("model.safetensors", 1_000_000);

        var cut = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(attempts: 1)));
        Assert.Equal("huggingface:tiny/stories/model.safetensors", cut.File);
        Assert.StartsWith("network failure talking to ", cut.Cause);
        Assert.Contains("a partial download resumes where it stopped", cut.Fix);
        var partial = Path.Combine(RepoCache, "blobs", model.Sha256 + ".incomplete");
        Assert.Equal(1_000_000, new FileInfo(partial).Length);
        Assert.False(File.Exists(Path.Combine(RepoCache, "refs", "main"))); // an unfinished snapshot is not published

        _server.Requests.Clear();
        var resolved = ModelSourceResolver.Resolve(Spec(), Options(attempts: 1));

        var blobGets = _server.Requests.Where(r => r.Path == $"/blobs/{model.Sha256}").ToList();
        Assert.Equal("bytes=1000000-", Assert.Single(blobGets).Range);
        Assert.Equal(model.Sha256, Sha256(Path.Combine(resolved.LocalPath, "model.safetensors")));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public void TruncatedTransfer_IsRetriedWithinOneResolve()
    {
        var model = _server.Files["model.safetensors"];
        _server.CutNextTransfer("model.safetensors", 700_001);

        var resolved = ModelSourceResolver.Resolve(Spec(), Options(attempts: 3));

        var ranges = _server.Requests.Where(r => r.Path == $"/blobs/{model.Sha256}").Select(r => r.Range).ToList();
        Assert.Equal([null, "bytes=700001-"], ranges);
        Assert.Equal(model.Sha256, Sha256(Path.Combine(resolved.LocalPath, "model.safetensors")));
    }

    [Fact]
    public void ServerIgnoringRange_RestartsTheFileFromZero()
    {
        var model = _server.Files["model.safetensors"];
        _server.CutNextTransfer("model.safetensors", 500_000);
        Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(attempts: 1)));
        _server.IgnoreRange = true;

        var resolved = ModelSourceResolver.Resolve(Spec(), Options(attempts: 1));

        Assert.Equal(model.Sha256, Sha256(Path.Combine(resolved.LocalPath, "model.safetensors")));
        Assert.Equal(model.Content.Length, File.ReadAllBytes(Path.Combine(resolved.LocalPath, "model.safetensors")).Length);
        Assert.Equal("bytes=500000-", _server.Requests.Last(r => r.Path == $"/blobs/{model.Sha256}").Range); // asked, and was answered 200
    }

    [Fact]
    public void CorruptedFile_IsRejectedAndDeleted()
    {
        var model = _server.Files["model.safetensors"];
        _server.Corrupt.Add("model.safetensors");
        var actual = Convert.ToHexStringLower(SHA256.HashData(FakeHubServer.Corrupted(model.Content)));

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options()));

        Assert.Equal("huggingface:tiny/stories/model.safetensors", e.File);
        Assert.Equal($"downloaded content has sha256 {actual} but the hub announced {model.Sha256}; the corrupt download was deleted.", e.Cause);
        Assert.False(File.Exists(Path.Combine(RepoCache, "blobs", model.Sha256)));
        Assert.False(File.Exists(Path.Combine(RepoCache, "blobs", model.Sha256 + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(Snapshot, "model.safetensors")));
    }

    [Fact]
    public void UnknownRepositoryOrRevision_Is404WithFix()
    {
        var repo = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(repo: "tiny/nothing"), Options()));
        Assert.Equal("huggingface:tiny/nothing", repo.File);
        Assert.Equal("repository or revision not found (HTTP 404): no 'tiny/nothing' at revision 'main'.", repo.Cause);
        Assert.Equal("Check the repository name (org/name) and the revision (branch, tag or commit).", repo.Fix);

        var revision = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(revision: "v9"), Options()));
        Assert.Equal("repository or revision not found (HTTP 404): no 'tiny/stories' at revision 'v9'.", revision.Cause);
    }

    [Fact]
    public void GlobsMatchingNothing_ListTheRepositoryFiles()
    {
        var spec = new HuggingFaceSourceSpec(Repo, "main", ["*.bin"]);
        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(spec, Options()));
        Assert.StartsWith("no file at revision 'main' matches files: [*.bin]; the repository has README.md, config.json,", e.Cause);
    }

    [Fact]
    public void UnreachableHub_IsANetworkFailure()
    {
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var e = Assert.Throws<SlimLLMException>(() => ModelSourceResolver.Resolve(Spec(), Options(endpoint: new Uri($"http://127.0.0.1:{port}/"))));
        Assert.StartsWith($"network failure talking to http://127.0.0.1:{port}/", e.Cause);
        Assert.EndsWith("slimllm prune --offline (or HF_HUB_OFFLINE=1) resolves from the local cache alone.", e.Fix);
    }
}
