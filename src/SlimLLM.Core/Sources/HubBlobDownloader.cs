using System.Net;
using System.Security.Cryptography;
using System.Text;
using SlimLLM.Progress;

namespace SlimLLM.Sources;

/// <summary>
/// Downloads one file into its blob: writes <c>blobs/{etag}.incomplete</c>, continues an existing partial file with a
/// Range request (starting over when the server ignores the range), stops at the announced size, checks size and hash
/// (sha256 for LFS files, the git blob sha1 for the others), then renames into place. A transfer that breaks off keeps
/// its partial file to resume; one that is wrong (too long, disagreeing sizes, bad hash) or that fills the disk deletes it.
/// </summary>
internal sealed class HubBlobDownloader(HubClient client, HubCacheLayout layout, IProgressReporter progress, int attempts,
    Func<string, FileMode, Stream> openFile)
{
    public async Task DownloadAsync(string commit, string file, HubFileMetadata meta, CancellationToken ct)
    {
        var partial = layout.IncompletePath(meta.Etag);
        try
        {
            Directory.CreateDirectory(layout.BlobsFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, meta.Size, e);
        }
        EnsureSpace(file, meta, partial);
        using (client.Watch())
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await TransferAsync(commit, file, meta, partial, ct);
                    break;
                }
                catch (SlimLLM.Errors.SlimLLMException e) when (attempt < attempts && HubErrors.IsRetryable(e))
                {
                    progress.Warn($"{file}: transfer broke off ({e.InnerException?.Message}); resuming (attempt {attempt + 1} of {attempts}).");
                }
            }
        }
        Verify(file, meta, partial);
        File.Move(partial, layout.BlobPath(meta.Etag), overwrite: true);
    }

    /// <summary>Refuses before any byte is fetched when the folder's drive has less free space than the rest of the file.</summary>
    private void EnsureSpace(string file, HubFileMetadata meta, string partial)
    {
        if (meta.Size is not { } size) return;
        long needed = size - (File.Exists(partial) ? Math.Min(size, new FileInfo(partial).Length) : 0);
        if (IO.DiskSpace.FreeBytes(layout.BlobsFolder) is not { } free) return; // unknown: the writes will tell
        if (needed > free)
            throw HubErrors.NoSpace(client.Repository, file, layout.BlobsFolder, needed, free);
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
        long? transfer = response.Content.Headers.ContentLength is { } length ? have + length : null;
        if (size is { } announced && transfer is { } promised && promised != announced)
        {
            File.Delete(partial);
            throw HubErrors.LengthDisagrees(client.Repository, file, announced, promised);
        }
        long? limit = size ?? transfer;
        long? needed = limit - have;
        Stream output;
        try
        {
            output = openFile(partial, have > 0 ? FileMode.Append : FileMode.Create);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, needed, e);
        }
        bool discard = false, complete = false;
        try
        {
            var input = await client.OpenBodyAsync(response, file, ct);
            var buffer = new byte[1 << 16];
            long done = have;
            while (true)
            {
                // Never ask for more than one byte past the announced size: that byte is enough to know the body is too long.
                int want = limit is { } max ? (int)Math.Min(buffer.Length, max - done + 1) : buffer.Length;
                int read = await client.ReadBodyAsync(input, buffer.AsMemory(0, want), file, ct);
                if (read == 0) break;
                if (done + read > limit)
                {
                    discard = true;
                    throw HubErrors.Oversized(client.Repository, file, limit.Value);
                }
                await WriteAsync(output, buffer.AsMemory(0, read), file, needed, ct, () => discard = true);
                done += read;
                progress.Report($"download {file}", done, limit ?? done);
            }
            await WriteAsync(output, ReadOnlyMemory<byte>.Empty, file, needed, ct, () => discard = true);
            if (size is { } expected && done < expected)
                throw HubErrors.Network(client.Repository, file, client.Endpoint.ToString(),
                    new IOException($"the connection closed after {done} of {expected} bytes"));
            complete = true;
        }
        finally
        {
            try
            {
                await output.DisposeAsync();
            }
            catch (IOException e) when (!complete)
            {
                discard |= HubErrors.IsDiskFull(e); // the error already on its way says why; this one must not replace it
            }
            catch (IOException e)
            {
                File.Delete(partial);
                throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, needed, e);
            }
            finally
            {
                if (discard) File.Delete(partial);
            }
        }
    }

    /// <summary>Writes (or, for an empty chunk, flushes) to the partial file; a failure is a disk error that discards it.</summary>
    private async Task WriteAsync(Stream output, ReadOnlyMemory<byte> chunk, string file, long? needed, CancellationToken ct, Action discard)
    {
        try
        {
            if (chunk.IsEmpty) await output.FlushAsync(ct);
            else await output.WriteAsync(chunk, ct);
        }
        catch (IOException e)
        {
            discard();
            throw HubErrors.Disk(client.Repository, file, layout.BlobsFolder, needed, e);
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
        var (algorithm, expected) = meta.ExpectedSha256 is { } sha256 ? ("sha256", sha256)
            : meta.ExpectedGitBlobSha1 is { } sha1 ? ("git blob sha1", sha1)
            : (null, null);
        if (expected is null) return;
        string actual = algorithm == "sha256" ? Hash(HashAlgorithmName.SHA256, partial, prefix: null)
            : Hash(HashAlgorithmName.SHA1, partial, prefix: Encoding.ASCII.GetBytes($"blob {length}\0"));
        if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw HubErrors.HashMismatch(client.Repository, file, algorithm!, expected, actual);
        }
    }

    private static string Hash(HashAlgorithmName algorithm, string path, byte[]? prefix)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        if (prefix is not null) hash.AppendData(prefix);
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
