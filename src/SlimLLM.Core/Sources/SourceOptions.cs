namespace SlimLLM.Sources;

/// <summary>How <see cref="ModelSourceResolver"/> reaches the network and where it keeps what it downloads.</summary>
public sealed class SourceOptions
{
    /// <summary>Our own cache root; NuGet packages are extracted under <c>{CacheRoot}/nuget/{id}/{version}/</c>.</summary>
    public required string CacheRoot { get; init; }

    /// <summary>Resolve from local caches alone; any needed download is an error. <c>HF_HUB_OFFLINE=1</c> also sets it for the hub.</summary>
    public bool Offline { get; init; }

    /// <summary>The folder whose NuGet.Config chain applies (the manifest's folder); null for the current folder.</summary>
    public string? ConfigRoot { get; init; }

    /// <summary>
    /// Makes the handler for hub requests. It must not follow redirects itself: the hub's redirect response carries the
    /// file's hash (<c>X-Linked-Etag</c>), so redirects are followed by the resolver. Default: a SocketsHttpHandler.
    /// </summary>
    public Func<HttpMessageHandler> HttpHandlerFactory { get; init; } = () => new SocketsHttpHandler { AllowAutoRedirect = false };

    /// <summary>Reads an environment variable (HF_TOKEN, HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE, NUGET_PACKAGES); injectable for tests.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>How long one hub request may stall before it counts as a network failure.</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Attempts per file when a transfer breaks off; each later attempt resumes where the previous one stopped.</summary>
    public int DownloadAttempts { get; init; } = 3;

    internal string? Env(string name)
    {
        var value = Environment(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
