using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SlimLLM.Tests.Sources;

/// <summary>
/// A NuGet V3 feed over HTTP on 127.0.0.1 (service index, flat container) serving the .nupkg files of a folder, with
/// injected stalls: headers and half a body, then nothing until the test ends.
/// </summary>
internal sealed class FakeNuGetFeed : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private readonly string _folder;
    private readonly Task _loop;

    public FakeNuGetFeed(string folder)
    {
        _folder = folder;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUri.ToString());
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public Uri BaseUri { get; }
    public string ServiceIndex => $"{BaseUri}v3/index.json";
    /// <summary>The .nupkg downloads send half their bytes, then stall.</summary>
    public bool StallPackages { get; set; }
    /// <summary>The version listings send half their bytes, then stall.</summary>
    public bool StallListings { get; set; }

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().WaitAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException) { break; }
            _ = Task.Run(() => Serve(context));
        }
    }

    private async Task Serve(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var segments = context.Request.Url!.AbsolutePath.Trim('/').Split('/');
            switch (segments)
            {
                case ["v3", "index.json"]:
                    await Send(response, $$"""{"version":"3.0.0","resources":[{"@id":"{{BaseUri}}flat/","@type":"PackageBaseAddress/3.0.0"}]}""", stall: false);
                    break;
                case ["flat", var id, "index.json"]:
                    var versions = Directory.GetFiles(_folder, "*.nupkg").Select(Path.GetFileNameWithoutExtension)
                        .Where(n => n!.StartsWith(id + ".", StringComparison.OrdinalIgnoreCase)).Select(n => $"\"{n![(id.Length + 1)..].ToLowerInvariant()}\"");
                    await Send(response, $$"""{"versions":[{{string.Join(",", versions)}}]}""", StallListings);
                    break;
                case ["flat", var id, var version, var file] when file.Equals($"{id}.{version}.nupkg", StringComparison.OrdinalIgnoreCase)
                                                                  && Package(file) is { } path:
                    await Send(response, File.ReadAllBytes(path), StallPackages);
                    break;
                default:
                    response.StatusCode = 404;
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpListenerException or IOException or ObjectDisposedException) { }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    /// <summary>The folder's .nupkg of that name, in any case (the flat container's URLs are lowercase).</summary>
    private string? Package(string file) =>
        Directory.GetFiles(_folder, "*.nupkg").FirstOrDefault(f => Path.GetFileName(f).Equals(file, StringComparison.OrdinalIgnoreCase));

    private Task Send(HttpListenerResponse response, string json, bool stall) => Send(response, Encoding.UTF8.GetBytes(json), stall);

    private async Task Send(HttpListenerResponse response, byte[] body, bool stall)
    {
        response.ContentLength64 = body.Length;
        if (!stall)
        {
            await response.OutputStream.WriteAsync(body, _stop.Token);
            return;
        }
        await response.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2), _stop.Token);
        await response.OutputStream.FlushAsync(_stop.Token);
        await Task.Delay(Timeout.Infinite, _stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Abort();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
