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

    /// <summary>
    /// How long one network wait may last: a request until its response headers, and each read of a response body.
    /// <c>SLIMLLM_HTTP_READ_TIMEOUT</c> (seconds) overrides it. A read that times out counts as a broken transfer (retried).
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The progress deadline: a download (all its attempts and resumes together) or API request that receives no byte
    /// for this long fails, however many attempts are left. <c>SLIMLLM_HTTP_STALL_TIMEOUT</c> (seconds) overrides it.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Opens a download's partial file for writing; a seam for tests (e.g. a stream on /dev/full). Default: a FileStream.</summary>
    internal Func<string, FileMode, Stream> OpenDownloadFile { get; init; } =
        (path, mode) => new FileStream(path, mode, FileAccess.Write, FileShare.None, 1 << 16);

    /// <summary>Attempts per file when a transfer breaks off; each later attempt resumes where the previous one stopped.</summary>
    public int DownloadAttempts { get; init; } = 3;

    internal string? Env(string name)
    {
        var value = Environment(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary><see cref="ReadTimeout"/>, or <c>SLIMLLM_HTTP_READ_TIMEOUT</c> when set.</summary>
    internal TimeSpan EffectiveReadTimeout => Seconds(Env, "SLIMLLM_HTTP_READ_TIMEOUT") ?? ReadTimeout;

    /// <summary><see cref="StallTimeout"/>, or <c>SLIMLLM_HTTP_STALL_TIMEOUT</c> when set.</summary>
    internal TimeSpan EffectiveStallTimeout => Seconds(Env, "SLIMLLM_HTTP_STALL_TIMEOUT") ?? StallTimeout;

    /// <summary>The progress deadline where no SourceOptions are at hand (backend install): the variable, else the default.</summary>
    internal static TimeSpan StallTimeoutFromEnvironment() =>
        Seconds(v => string.IsNullOrWhiteSpace(System.Environment.GetEnvironmentVariable(v)) ? null : System.Environment.GetEnvironmentVariable(v), "SLIMLLM_HTTP_STALL_TIMEOUT")
        ?? new SourceOptions { CacheRoot = "" }.StallTimeout;

    private static TimeSpan? Seconds(Func<string, string?> env, string variable)
    {
        if (env(variable) is not { } text) return null;
        if (!double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds <= 0 || seconds > int.MaxValue / 1000.0)
            throw new SlimLLM.Errors.SlimLLMException(variable, $"'{text}' is not a number of seconds above 0.", $"Set {variable} to e.g. 60, or unset it for the default.");
        return TimeSpan.FromSeconds(seconds);
    }
}
