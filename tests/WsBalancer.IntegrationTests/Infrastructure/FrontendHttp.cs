using System.Net.Http.Headers;
using System.Text.Json;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>A frontend answer that was not an upgrade: its status and its JSON body.</summary>
public sealed record FrontendReply(int Status, string? MediaType, JsonElement Body)
{
    /// <summary>The body's "reason", or null when there is none.</summary>
    public string? Reason => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
}

/// <summary>
/// Plain HTTP to the frontend listener, for answers a <see cref="System.Net.WebSockets.ClientWebSocket"/> does not show:
/// the body of a refused handshake, or the reply to a request that is not an upgrade at all.
/// </summary>
public static class FrontendHttp
{
    public static Task<FrontendReply> GetAsync(Uri frontendUri, string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(frontendUri, pathAndQuery, upgrade: false, cancellationToken);

    /// <summary>Sends a valid WebSocket upgrade request that the test expects to be refused; returns the refusal.</summary>
    public static Task<FrontendReply> RefusedUpgradeAsync(Uri frontendUri, string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(frontendUri, pathAndQuery, upgrade: true, cancellationToken);

    private static async Task<FrontendReply> SendAsync(Uri frontendUri, string pathAndQuery, bool upgrade, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        var uri = new UriBuilder(new Uri(frontendUri, pathAndQuery)) { Scheme = Uri.UriSchemeHttp }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = System.Net.HttpVersion.Version11 };
        if (upgrade)
        {
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", RawWebSocketProtocol.NewKey());
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var status = (int)response.StatusCode;
        if (status == 101)
        {
            throw new InvalidOperationException("the frontend accepted an upgrade the test expected to be refused");
        }

        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        var body = text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
        return new FrontendReply(status, response.Content.Headers.ContentType?.MediaType, body);
    }
}
