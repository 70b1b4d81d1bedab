using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>
/// Plain HTTPS access to a Hugging Face hub (or mirror): the revision's file list, each file's hash, and the file bytes.
/// Redirects are followed here rather than by the handler because the hub's redirect response carries the hash; only
/// http(s) targets are followed, never from https down to http. Every wait is bounded by <see cref="NetworkDeadline"/>.
/// </summary>
internal sealed class HubClient(HttpClient http, NetworkDeadline deadline, Uri endpoint, string? token, string repository)
{
    private const int MaxRedirects = 10;
    /// <summary>The largest API answer read (a revision listing of a very large repository is a few MB).</summary>
    private const int MaxApiAnswer = 64 << 20;

    public string Repository => repository;
    public bool HasToken => token is not null;
    public Uri Endpoint => endpoint;

    /// <summary>The commit a revision points at and the repository's files there.</summary>
    public async Task<(string Commit, IReadOnlyList<string> Files)> GetRevisionAsync(string revision, CancellationToken ct)
    {
        var uri = new Uri(endpoint, $"api/models/{repository}/revision/{Uri.EscapeDataString(revision)}");
        using var watch = deadline.Watch();
        using var response = await SendAsync(HttpMethod.Get, uri, range: null, followAll: true, revision, file: null, ct);
        EnsureSuccess(response, revision, file: null);
        string body = await ReadAsync(response, file: null, ct);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var commit = doc.RootElement.GetProperty("sha").GetString() ?? throw new KeyNotFoundException("sha");
            var files = doc.RootElement.TryGetProperty("siblings", out var siblings)
                ? siblings.EnumerateArray().Select(s => s.GetProperty("rfilename").GetString() ?? throw new KeyNotFoundException("rfilename")).ToList()
                : [];
            // No file system (and no glob matcher) takes control characters; a listing with one is refused whole.
            foreach (var name in files.Where(f => f.Any(char.IsControl))) HubCacheLayout.EnsureSafeRelative(repository, name, "file name");
            return (commit, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new SlimLLMException(HubErrors.Label(repository), $"the hub's answer for revision '{revision}' is not the expected JSON ({e.Message}).",
                HubErrors.NotAHubHint);
        }
    }

    /// <summary>HEAD on the file's resolve URL: the blob name (etag) and size, from the first response that is not a relative redirect.</summary>
    public async Task<HubFileMetadata> GetFileMetadataAsync(string commit, string file, CancellationToken ct)
    {
        using var watch = deadline.Watch();
        using var response = await SendAsync(HttpMethod.Head, ResolveUri(commit, file), range: null, followAll: false, commit, file, ct);
        if ((int)response.StatusCode >= 400) EnsureSuccess(response, commit, file);
        var linked = Header(response, "X-Linked-Etag");
        var etag = linked ?? Header(response, "ETag")
                   ?? throw new SlimLLMException(HubErrors.Label(repository, file), "the hub sent no ETag for the file, so it cannot be cached or verified.",
                       HubErrors.NotAHubHint);
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out var s) ? s
            : linked is null ? response.Content.Headers.ContentLength : null;
        if (size < 0)
            throw new SlimLLMException(HubErrors.Label(repository, file), $"the hub announced a negative size ({size}).", HubErrors.NotAHubHint);
        var normalized = HubFileMetadata.Normalize(etag);
        if (!HubFileMetadata.IsUsableEtag(normalized))
            throw new SlimLLMException(HubErrors.Label(repository, file),
                $"the hub returned an unusable etag '{normalized}' (a cache file name needs 1 to 128 letters, digits, '-', '_' or '.').", HubErrors.NotAHubHint);
        return new HubFileMetadata(normalized, size, IsLfs: linked is not null);
    }

    /// <summary>GET on the file's resolve URL (following every redirect), asking for bytes from <paramref name="from"/> on when it is above 0.</summary>
    public Task<HttpResponseMessage> GetFileAsync(string commit, string file, long from, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, ResolveUri(commit, file), from > 0 ? from : null, followAll: true, commit, file, ct);

    /// <summary>Starts the progress deadline for a download (all its attempts); dispose to stop it.</summary>
    public IDisposable Watch() => deadline.Watch();

    /// <summary>The body of a file response.</summary>
    public async Task<Stream> OpenBodyAsync(HttpResponseMessage response, string? file, CancellationToken ct)
    {
        try { return await response.Content.ReadAsStreamAsync(deadline.Token); }
        catch (Exception e) when (deadline.Stalled || IsNetwork(e, ct)) { throw Failure(e, file); }
    }

    /// <summary>One read of a body, within the read timeout and the progress deadline.</summary>
    public async ValueTask<int> ReadBodyAsync(Stream body, Memory<byte> buffer, string? file, CancellationToken ct)
    {
        try { return await deadline.ReadAsync(body, buffer); }
        catch (Exception e) when (deadline.Stalled || IsNetwork(e, ct)) { throw Failure(e, file); }
    }

    public void EnsureSuccess(HttpResponseMessage response, string revision, string? file)
    {
        if (!response.IsSuccessStatusCode)
            throw HubErrors.ForStatus(response.StatusCode, repository, revision, file, HasToken);
    }

    private Uri ResolveUri(string commit, string file) =>
        new(endpoint, $"{repository}/resolve/{Uri.EscapeDataString(commit)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long? range, bool followAll, string revision, string? file, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            // The token goes to the hub only, never to the storage host a redirect points at.
            if (token is not null && uri.Host == endpoint.Host && uri.Port == endpoint.Port)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (range is not null)
                request.Headers.Range = new RangeHeaderValue(range, null);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            }
            catch (Exception e) when (deadline.Stalled || IsNetwork(e, ct))
            {
                throw Failure(e, file);
            }
            int code = (int)response.StatusCode;
            if (code is < 300 or >= 400 || response.Headers.Location is not { } location)
                return response;
            bool relative = !location.IsAbsoluteUri;
            if (!followAll && !relative) return response; // the hub's own answer, with X-Linked-Etag
            response.Dispose();
            if (hop == MaxRedirects)
                throw new SlimLLMException(HubErrors.Label(repository, file), $"more than {MaxRedirects} redirects.", "Check HF_ENDPOINT and any proxy in between.");
            var next = relative ? new Uri(uri, location) : location;
            if (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp)
                throw HubErrors.RefusedRedirect(repository, file, uri, next, $"'{next.Scheme}' is not http(s)");
            if (uri.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
                throw HubErrors.RefusedRedirect(repository, file, uri, next, "a downgrade from https to http");
            uri = next;
            if (response.StatusCode == HttpStatusCode.SeeOther) method = method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get;
        }
    }

    /// <summary>A whole (small) answer as text, each read bounded, at most <see cref="MaxApiAnswer"/> bytes.</summary>
    private async Task<string> ReadAsync(HttpResponseMessage response, string? file, CancellationToken ct)
    {
        var body = await OpenBodyAsync(response, file, ct);
        using var text = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await ReadBodyAsync(body, buffer, file, ct)) > 0)
        {
            text.Write(buffer, 0, read);
            if (text.Length > MaxApiAnswer)
                throw new SlimLLMException(HubErrors.Label(repository, file), $"the hub's answer is larger than {MaxApiAnswer >> 20} MB.",
                    HubErrors.NotAHubHint);
        }
        return System.Text.Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    private SlimLLMException Failure(Exception e, string? file) =>
        deadline.Stalled ? HubErrors.Stalled(repository, file, endpoint.ToString(), deadline.StallTimeout)
        : HubErrors.Network(repository, file, endpoint.ToString(), e);

    /// <summary>A transport failure (refused, reset, timed out) rather than the caller cancelling.</summary>
    public static bool IsNetwork(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is IOException && e is not FileNotFoundException) || (e is TaskCanceledException && !ct.IsCancellationRequested);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;
}
