using System.Text.RegularExpressions;
using SlimLLM.Errors;

namespace SlimLLM.Sources;

/// <summary>
/// The huggingface_hub cache layout for one model repository, so files downloaded by Python tools are reused and ours
/// are reused by them: <c>models--{org}--{name}/blobs/{etag}</c>, <c>snapshots/{commit}/{file}</c> linking to the blob,
/// <c>refs/{revision}</c> holding the commit.
/// </summary>
internal sealed partial class HubCacheLayout
{
    public HubCacheLayout(string hubRoot, string repository)
    {
        Repository = repository;
        RepoFolder = Path.Combine(hubRoot, "models--" + repository.Replace("/", "--"));
    }

    public string Repository { get; }
    public string RepoFolder { get; }
    public string BlobsFolder => Path.Combine(RepoFolder, "blobs");

    public static string HubRoot(SourceOptions options)
    {
        var home = options.Env("HF_HOME")
                   ?? Path.Combine(options.Env("XDG_CACHE_HOME") ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return Path.Combine(home, "hub");
    }

    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    public string SnapshotFolder(string commit) => Path.Combine(RepoFolder, "snapshots", commit);

    public string SnapshotFile(string commit, string relativeFile) => Path.Combine(SnapshotFolder(commit), relativeFile.Replace('/', Path.DirectorySeparatorChar));

    public string BlobPath(string etag) => Path.Combine(BlobsFolder, etag);

    /// <summary>Where a blob is written while it downloads; a later attempt resumes from its length.</summary>
    public string IncompletePath(string etag) => BlobPath(etag) + ".incomplete";

    /// <summary>The commit a revision (branch, tag or commit) points at in the cache, null when unknown.</summary>
    public string? ReadRef(string revision)
    {
        var path = RefPath(revision);
        if (File.Exists(path))
        {
            var commit = File.ReadAllText(path).Trim();
            return commit.Length > 0 ? commit : null;
        }
        return IsCommitHash(revision) && Directory.Exists(SnapshotFolder(revision)) ? revision : null;
    }

    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return; // huggingface_hub writes no ref for a commit hash
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, commit);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>True when the snapshot entry exists and, if it is a link, its blob exists too.</summary>
    public bool HasSnapshotFile(string commit, string relativeFile) => File.Exists(SnapshotFile(commit, relativeFile));

    /// <summary>
    /// Points <c>snapshots/{commit}/{file}</c> at its blob with a relative symlink, as huggingface_hub does; copies the blob
    /// where links cannot be made (some Windows setups, some file systems).
    /// </summary>
    public void LinkSnapshotFile(string commit, string relativeFile, string etag)
    {
        var link = SnapshotFile(commit, relativeFile);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        var target = Path.GetRelativePath(Path.GetDirectoryName(link)!, BlobPath(etag));
        try
        {
            File.CreateSymbolicLink(link, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(BlobPath(etag), link, overwrite: true);
        }
    }

    /// <summary>Files in a cached snapshot, relative and '/'-separated, sorted.</summary>
    public IReadOnlyList<string> SnapshotFiles(string commit)
    {
        var folder = SnapshotFolder(commit);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(File.Exists) // drops dangling links
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Checks a name the server gave (an etag, a file path) cannot step outside the cache folder.</summary>
    public static void EnsureSafeRelative(string repository, string relative, string what)
    {
        var segments = relative.Split('/');
        if (relative.Length == 0 || relative.StartsWith('/') || relative.Contains('\\') || relative.Contains(':')
            || relative.Any(char.IsControl) || segments.Any(s => s is "" or "." or ".." || System.Text.Encoding.UTF8.GetByteCount(s) > MaxNameBytes))
            throw new SlimLLMException($"huggingface:{repository}", $"the hub returned an unsafe {what} '{Printable(relative)}'.", "Check HF_ENDPOINT points at a genuine Hugging Face hub or mirror.");
    }

    /// <summary>The longest file name most file systems take (ext4, NTFS, APFS: 255).</summary>
    private const int MaxNameBytes = 255;

    /// <summary>A name as it can be shown on one line: control characters escaped, at most 100 characters.</summary>
    private static string Printable(string name)
    {
        var escaped = string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return escaped.Length > 100 ? escaped[..100] + "…" : escaped;
    }

    private string RefPath(string revision) => Path.Combine(RepoFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
