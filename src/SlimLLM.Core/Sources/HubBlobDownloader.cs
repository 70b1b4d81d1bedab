using System.Net;
using System.Security.Cryptography;
using SlimLLM.Progress;

namespace SlimLLM.Sources;

/// <summary>
/// Downloads one file into its blob: writes <c>blobs/{etag}.incomplete</c>, continues an existing partial file with a
/// Range request (starting over when the server ignores the range), checks size and sha256, then renames into place.
/// </summary>
internal sealed class HubBlobDownloader(HubClient client, HubCacheLayout layout, IProgressReporter progress, int attempts)
{
    public async Task DownloadAsync(string commit, string file, HubFileMetadata meta, CancellationToken ct)
    {
        Directory.CreateDirectory(layout.BlobsFolder);
        var partial = layout.IncompletePath(meta.Etag);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await TransferAsync(commit, file, meta, partial, ct);
                break;
            }
            catch (Exception e) when (attempt < attempts && e is SlimLLM.Errors.SlimLLMException { InnerException: { } inner } && HubClient.IsNetwork(inner, ct))
            {
                progress.Warn($"{file}: transfer broke off ({inner.Message}); resuming (attempt {attempt + 1} of {attempts}).");
            }
        }
        Verify(file, meta, partial);
        File.Move(partial, layout.BlobPath(meta.Etag), overwrite: true);
    }

    private async Task TransferAsync(string commit, string file, HubFileMetadata meta, string partial, CancellationToken ct)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (meta.Size is { } size && have > size) { File.Delete(partial); have = 0; }
        if (meta.Size is { } complete && have == complete && have > 0) return; // finished earlier, not yet verified

        var response = await client.GetFileAsync(commit, file, have, ct);
        try
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                // The partial file does not fit the server's copy: start over.
                response.Dispose();
                File.Delete(partial);
                have = 0;
                response = await client.GetFileAsync(commit, file, 0, ct);
            }
            client.EnsureSuccess(response, commit, file);
            if (have > 0 && (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != have))
                have = 0; // the server ignored the range (or answered another one): the body is the whole file
            await CopyAsync(response, file, partial, have, meta.Size, ct);
        }
        finally
        {
            response.Dispose();
        }
    }

    private async Task CopyAsync(HttpResponseMessage response, string file, string partial, long have, long? size, CancellationToken ct)
    {
        FileStream output;
        try
        {
            output = new FileStream(partial, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (IOException e)
        {
            throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, e);
        }
        await using (output)
        {
            Stream input;
            try { input = await response.Content.ReadAsStreamAsync(ct); }
            catch (Exception e) when (HubClient.IsNetwork(e, ct)) { throw HubErrors.Network(client.Repository, file, client.Endpoint.ToString(), e); }
            var buffer = new byte[1 << 16];
            long done = have;
            long total = size ?? (have + (response.Content.Headers.ContentLength ?? 0));
            while (true)
            {
                int read;
                try { read = await input.ReadAsync(buffer, ct); }
                catch (Exception e) when (HubClient.IsNetwork(e, ct)) { throw HubErrors.Network(client.Repository, file, client.Endpoint.ToString(), e); }
                if (read == 0) break;
                try { await output.WriteAsync(buffer.AsMemory(0, read), ct); }
                catch (IOException e) { throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, e); }
                done += read;
                progress.Report($"download {file}", done, total);
            }
            if (size is { } expected && done < expected)
                throw HubErrors.Network(client.Repository, file, client.Endpoint.ToString(),
                    new IOException($"the connection closed after {done} of {expected} bytes"));
        }
    }

    private void Verify(string file, HubFileMetadata meta, string partial)
    {
        long length = new FileInfo(partial).Length;
        if (meta.Size is { } size && length != size)
        {
            File.Delete(partial);
            throw HubErrors.SizeMismatch(client.Repository, file, size, length);
        }
        if (meta.ExpectedSha256 is not { } expected) return;
        string actual;
        using (var stream = File.OpenRead(partial))
            actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw HubErrors.HashMismatch(client.Repository, file, expected, actual);
        }
    }
}
