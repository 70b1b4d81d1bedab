using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SlimLLM.Tests.Sources;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (random free port, one request per connection) serving the Hugging Face hub's
/// URL layout for one repository: the revision API, resolve URLs (LFS files answer 302 to /blobs/{sha256} with
/// X-Linked-Etag/X-Linked-Size; small files 200 with a git-blob ETag), Range requests, and injected faults. It stops
/// itself after <see cref="Lifetime"/> so a hung test cannot leave it running.
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new(Lifetime);
    private readonly Task _loop;
    private readonly Dictionary<string, HubFile> _files;
    private readonly ConcurrentDictionary<string, int> _cutsLeft = new();

    public FakeHubServer(string repository, IEnumerable<HubFile> files)
    {
        Repository = repository;
        _files = files.ToDictionary(f => f.Name);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(AcceptLoop);
    }

    public sealed record HubFile(string Name, byte[] Content, bool Lfs)
    {
        public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));
        public string GitBlobSha1 => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {Content.Length}\0"), .. Content]));
        public string Etag => Lfs ? Sha256 : GitBlobSha1;
    }

    public sealed record Request(string Method, string Path, string? Range, string? Authorization);

    public string Repository { get; }
    public Uri BaseUri { get; }
    public string Commit { get; set; } = "0123456789abcdef0123456789abcdef01234567";
    /// <summary>When set, every hub request needs <c>Authorization: Bearer {token}</c> (a private repository).</summary>
    public string? RequiredToken { get; set; }
    /// <summary>Answer Range requests with the whole file (200), as some proxies do.</summary>
    public bool IgnoreRange { get; set; }
    /// <summary>Files whose blob is served with one byte flipped while the headers announce the true hash.</summary>
    public HashSet<string> Corrupt { get; } = [];
    public ConcurrentQueue<Request> Requests { get; } = new();
    /// <summary>Transfers of these files send the headers and the body up to the given offset, then stall (every time).</summary>
    public ConcurrentDictionary<string, long> StallAt { get; } = new();
    /// <summary>When set, the revision API answers 200 with this body instead of the real listing.</summary>
    public string? ApiBody { get; set; }
    /// <summary>The ETag HEAD and GET send for these files (X-Linked-Etag for LFS files), instead of the true one.</summary>
    public ConcurrentDictionary<string, string> EtagOverride { get; } = new();
    /// <summary>When set, the revision API sends these raw bytes (e.g. a cut status line or headers), then closes.</summary>
    public string? ApiRaw { get; set; }
    /// <summary>The revision API sends its headers and half its body, then stalls.</summary>
    public bool StallApi { get; set; }
    /// <summary>Transfers of these files send no Content-Length and the body with this many bytes more (negative: fewer), then close.</summary>
    public ConcurrentDictionary<string, long> Resize { get; } = new();
    /// <summary>The size HEAD announces for these files (X-Linked-Size for LFS files, Content-Length for the others), instead of the true one.</summary>
    public ConcurrentDictionary<string, long> AnnounceSize { get; } = new();
    /// <summary>The Location the resolve URL of these LFS files redirects to, instead of /blobs/{sha256}.</summary>
    public ConcurrentDictionary<string, string> RedirectTo { get; } = new();
    /// <summary>Body bytes sent by transfers in <see cref="Resize"/> mode.</summary>
    public long ResizedBytesSent => Interlocked.Read(ref _resizedBytesSent);
    private long _resizedBytesSent;

    public IReadOnlyDictionary<string, HubFile> Files => _files;

    /// <summary>What a file in <see cref="Corrupt"/> is served as: its middle byte flipped.</summary>
    public static byte[] Corrupted(byte[] content)
    {
        var copy = (byte[])content.Clone();
        copy[copy.Length / 2] ^= 0xFF;
        return copy;
    }

    /// <summary>The next transfer of <paramref name="file"/>'s blob announces the full length, sends <paramref name="bytes"/> bytes, and closes.</summary>
    public void CutNextTransfer(string file, int bytes) => _cutsLeft[file] = bytes;

    public IReadOnlyList<Request> FileRequests => Requests.Where(r => !r.Path.StartsWith("/api/", StringComparison.Ordinal)).ToList();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { break; }
            catch (SocketException) { break; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var head = await ReadHead(stream, timeout.Token);
                if (head is null) return;
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
                var request = new Request(parts[0], Uri.UnescapeDataString(parts[1]), headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("Authorization"));
                Requests.Enqueue(request);
                await Respond(stream, request, timeout.Token);
            }
            catch (IOException) { }
            catch (OperationCanceledException) { }
        }
    }

    private async Task Respond(NetworkStream stream, Request request, CancellationToken ct)
    {
        var path = request.Path;
        var apiPrefix = $"/api/models/{Repository}/revision/";
        var resolvePrefix = $"/{Repository}/resolve/";
        if (path.StartsWith("/blobs/", StringComparison.Ordinal))
        {
            var file = _files.Values.FirstOrDefault(f => f.Sha256 == path["/blobs/".Length..]);
            if (file is null) { await Write(stream, 404, "Not Found", [], null, ct); return; }
            await ServeContent(stream, request, file, [], ct);
            return;
        }
        if (!path.StartsWith(apiPrefix, StringComparison.Ordinal) && !path.StartsWith(resolvePrefix, StringComparison.Ordinal))
        {
            await Write(stream, 404, "Not Found", [("X-Error-Code", "RepoNotFound")], "{\"error\":\"Repository not found\"}"u8.ToArray(), ct);
            return;
        }
        if (RequiredToken is not null && request.Authorization != $"Bearer {RequiredToken}")
        {
            await Write(stream, 401, "Unauthorized", [], "{\"error\":\"Invalid credentials\"}"u8.ToArray(), ct);
            return;
        }
        if (path.StartsWith(apiPrefix, StringComparison.Ordinal))
        {
            var revision = path[apiPrefix.Length..];
            if (revision != "main" && revision != Commit) { await Write(stream, 404, "Not Found", [("X-Error-Code", "RevisionNotFound")], null, ct); return; }
            if (ApiRaw is { } bytes)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(bytes), ct);
                await stream.FlushAsync(ct);
                return;
            }
            var json = ApiBody is { } raw ? Encoding.UTF8.GetBytes(raw)
                : JsonSerializer.SerializeToUtf8Bytes(new { id = Repository, sha = Commit, siblings = _files.Keys.Select(k => new { rfilename = k }) });
            if (StallApi)
            {
                await Write(stream, 200, "OK", [("Content-Type", "application/json")], null, ct, contentLength: json.Length);
                await stream.WriteAsync(json.AsMemory(0, json.Length / 2), ct);
                await stream.FlushAsync(ct);
                await Task.Delay(Timeout.Infinite, ct);
            }
            await Write(stream, 200, "OK", [("Content-Type", "application/json")], json, ct);
            return;
        }
        var rest = path[resolvePrefix.Length..];
        var slash = rest.IndexOf('/');
        var (rev, name) = (rest[..slash], rest[(slash + 1)..]);
        if ((rev != "main" && rev != Commit) || !_files.TryGetValue(name, out var hubFile))
        {
            await Write(stream, 404, "Not Found", [("X-Error-Code", "EntryNotFound")], null, ct);
            return;
        }
        var etag = EtagOverride.TryGetValue(name, out var forged) ? forged : hubFile.Etag;
        (string, string)[] common = [("X-Repo-Commit", Commit), ("ETag", $"\"{etag}\"")];
        if (hubFile.Lfs)
        {
            var announced = AnnounceSize.TryGetValue(name, out var a) ? a : hubFile.Content.Length;
            var location = RedirectTo.TryGetValue(name, out var to) ? to : $"{BaseUri}blobs/{hubFile.Sha256}";
            await Write(stream, 302, "Found",
                [.. common, ("X-Linked-Etag", $"\"{(EtagOverride.TryGetValue(name, out var linked) ? linked : hubFile.Sha256)}\""), ("X-Linked-Size", announced.ToString()), ("Location", location)],
                null, ct);
            return;
        }
        await ServeContent(stream, request, hubFile, common, ct);
    }

    private async Task ServeContent(NetworkStream stream, Request request, HubFile file, (string, string)[] extra, CancellationToken ct)
    {
        var content = file.Content;
        if (Corrupt.Contains(file.Name)) content = Corrupted(content);
        long from = 0;
        if (!IgnoreRange && request.Range is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            from = long.Parse(range["bytes=".Length..^1]);
        if (from >= content.Length && from > 0)
        {
            await Write(stream, 416, "Range Not Satisfiable", [("Content-Range", $"bytes */{content.Length}")], null, ct);
            return;
        }
        (string, string)[] headers = from > 0 ? [.. extra, ("Content-Range", $"bytes {from}-{content.Length - 1}/{content.Length}")] : extra;
        var body = content.AsMemory((int)from);
        if (request.Method == "HEAD")
        {
            await Write(stream, 200, "OK", headers, null, ct, contentLength: AnnounceSize.TryGetValue(file.Name, out var announced) ? announced : body.Length);
            return;
        }
        if (StallAt.TryGetValue(file.Name, out var stallAt))
        {
            await Write(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, null, ct, contentLength: body.Length);
            await stream.WriteAsync(body[..(int)Math.Clamp(stallAt - from, 0, body.Length)], ct);
            await stream.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct); // until the client gives up or the connection times out
        }
        if (Resize.TryGetValue(file.Name, out var delta))
        {
            await WriteResized(stream, from > 0 ? 206 : 200, headers, body, delta, ct);
            return;
        }
        if (_cutsLeft.TryRemove(file.Name, out var cut))
        {
            await Write(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, null, ct, contentLength: body.Length);
            await stream.WriteAsync(body[..cut], ct);
            await stream.FlushAsync(ct);
            return; // closing the connection mid-body
        }
        await Write(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, body, ct);
    }

    /// <summary>A body without Content-Length (ended by closing the connection), <paramref name="delta"/> bytes longer or shorter than the file; extra bytes are junk.</summary>
    private async Task WriteResized(NetworkStream stream, int code, (string Name, string Value)[] headers, ReadOnlyMemory<byte> body, long delta, CancellationToken ct)
    {
        var head = new StringBuilder($"HTTP/1.1 {code} {(code == 206 ? "Partial Content" : "OK")}\r\n");
        foreach (var (name, value) in headers) head.Append($"{name}: {value}\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        var first = body[..(int)Math.Max(0, body.Length + Math.Min(delta, 0))];
        await stream.WriteAsync(first, ct);
        Interlocked.Add(ref _resizedBytesSent, first.Length);
        var junk = new byte[1 << 16];
        for (long left = Math.Max(delta, 0); left > 0; left -= junk.Length)
        {
            int n = (int)Math.Min(junk.Length, left);
            await stream.WriteAsync(junk.AsMemory(0, n), ct);
            Interlocked.Add(ref _resizedBytesSent, n);
        }
        await stream.FlushAsync(ct);
    }

    private static async Task Write(NetworkStream stream, int code, string reason, (string Name, string Value)[] headers, ReadOnlyMemory<byte>? body, CancellationToken ct, long? contentLength = null)
    {
        var head = new StringBuilder($"HTTP/1.1 {code} {reason}\r\n");
        foreach (var (name, value) in headers) head.Append($"{name}: {value}\r\n");
        head.Append($"Content-Length: {contentLength ?? body?.Length ?? 0}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        if (body is { } b) await stream.WriteAsync(b, ct);
        await stream.FlushAsync(ct);
    }

    private static async Task<string?> ReadHead(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16384)
        {
            if (await stream.ReadAsync(one, ct) == 0) return null;
            buffer.Add(one[0]);
            int n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n')
                return Encoding.ASCII.GetString(buffer.ToArray(), 0, n - 4);
        }
        return null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
