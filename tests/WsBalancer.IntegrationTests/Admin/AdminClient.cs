using System.Net;
using System.Net.Sockets;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// An HTTP client of the admin listener that connects from a chosen loopback address (Linux routes all of 127.0.0.0/8
/// to the loopback interface, so a socket bound to 127.0.0.2 reaches a listener on 127.0.0.1 and is seen as 127.0.0.2)
/// and sends each path exactly as written: no '.'/'..' resolution and no re-encoding by <see cref="Uri"/>.
/// </summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _origin;

    public AdminClient(Uri adminUri, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        if (from is not null)
        {
            handler.ConnectCallback = (context, cancellationToken) => ConnectFromAsync(from, context.DnsEndPoint, cancellationToken);
        }

        _http = new HttpClient(handler) { Timeout = Timeouts.Default };
        _origin = adminUri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>One request; <paramref name="rawPath"/> goes on the request line as it is.</summary>
    public async Task<AdminReply> SendAsync(
        HttpMethod method, string rawPath, CancellationToken cancellationToken, HttpContent? content = null, string? authorization = null)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var uri = new Uri(_origin + rawPath, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _http.SendAsync(request, timeout.Token);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        var headers = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        return new AdminReply(response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), headers);
    }

    public Task<AdminReply> GetAsync(string rawPath, CancellationToken cancellationToken, string? authorization = null) =>
        SendAsync(HttpMethod.Get, rawPath, cancellationToken, authorization: authorization);

    public void Dispose() => _http.Dispose();

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress from, DnsEndPoint to, CancellationToken cancellationToken)
    {
        var socket = new Socket(from.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(to, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
