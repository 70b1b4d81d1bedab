namespace SlimLLM.Sources;

/// <summary>
/// Bounds every network wait of one resolve. Each body read must return within <see cref="ReadTimeout"/> (requests are
/// bounded by <c>HttpClient.Timeout</c>, set to the same value). While a <see cref="Watch"/> runs, every response and every
/// byte received restarts the progress deadline; <see cref="StallTimeout"/> without one cancels <see cref="Token"/>,
/// ending the download however many attempts are left. Local work between watches (hashing a blob) does not count.
/// </summary>
internal sealed class NetworkDeadline : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource _stall;
    private bool _watching;

    public NetworkDeadline(TimeSpan readTimeout, TimeSpan stallTimeout, CancellationToken caller)
    {
        ReadTimeout = readTimeout;
        StallTimeout = stallTimeout;
        _caller = caller;
        _stall = CancellationTokenSource.CreateLinkedTokenSource(caller);
    }

    public TimeSpan ReadTimeout { get; }
    public TimeSpan StallTimeout { get; }

    /// <summary>Cancelled by the caller or by the progress deadline.</summary>
    public CancellationToken Token => _stall.Token;

    /// <summary>True when the progress deadline, not the caller, cancelled <see cref="Token"/>.</summary>
    public bool Stalled => _stall.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Starts the progress deadline; disposing the scope stops it.</summary>
    public IDisposable Watch()
    {
        _watching = true;
        Progress();
        return new Scope(this);
    }

    /// <summary>Something arrived: the deadline starts again.</summary>
    public void Progress()
    {
        if (_watching && !_stall.IsCancellationRequested) _stall.CancelAfter(StallTimeout);
    }

    /// <summary>One read of a response body, failing with <see cref="ReadTimeoutException"/> when it waits longer than <see cref="ReadTimeout"/>.</summary>
    public async ValueTask<int> ReadAsync(Stream body, Memory<byte> buffer)
    {
        using var read = CancellationTokenSource.CreateLinkedTokenSource(Token);
        read.CancelAfter(ReadTimeout);
        int n;
        try
        {
            n = await body.ReadAsync(buffer, read.Token);
        }
        catch (OperationCanceledException) when (!Token.IsCancellationRequested)
        {
            throw new ReadTimeoutException(ReadTimeout);
        }
        if (n > 0) Progress();
        return n;
    }

    public void Dispose() => _stall.Dispose();

    private sealed class Scope(NetworkDeadline owner) : IDisposable
    {
        public void Dispose()
        {
            owner._watching = false;
            if (!owner._stall.IsCancellationRequested) owner._stall.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }
}

/// <summary>A body read that got no data within the read timeout: a broken transfer, retried like a reset connection.</summary>
internal sealed class ReadTimeoutException(TimeSpan timeout)
    : IOException($"no data for {timeout.TotalSeconds:0.###} s (read timeout, SLIMLLM_HTTP_READ_TIMEOUT)");
