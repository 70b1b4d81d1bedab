using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SlimLLM.Tests.Compute.Install;

/// <summary>An HTTP server on 127.0.0.1 that answers every request 401 with a Basic challenge, as a private feed does without credentials.</summary>
internal sealed class UnauthorizedFeedServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private int _requests;

    public UnauthorizedFeedServer()
    {
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _ = Task.Run(AcceptLoop);
    }

    public Uri BaseUri { get; }
    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                await using var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token))) { } // the request line and headers; requests here have no body
                Interlocked.Increment(ref _requests);
                await stream.WriteAsync("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"feed\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
