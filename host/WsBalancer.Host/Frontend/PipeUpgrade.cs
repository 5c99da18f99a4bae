using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Primitives;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Frontend;

/// <summary>Why <see cref="PipeUpgrade"/> left a request to the message path (nothing was written to the client).</summary>
internal enum PipeUpgradeRefusal
{
    /// <summary>The upgrade went ahead.</summary>
    None,

    /// <summary>Not a valid RFC 6455 §4.2.1 opening handshake (the message path answers it with 400).</summary>
    NotWebSocketRequest,

    /// <summary>Not HTTP/1.1 (an HTTP/2 extended CONNECT, RFC 8441, has no connection to take over).</summary>
    NotHttp11,

    /// <summary>The server offers no <see cref="IHttpUpgradeFeature"/>, or it says this request cannot be upgraded.</summary>
    NoUpgradeFeature,

    /// <summary>The connection's transport pipe is not reachable (<see cref="IConnectionTransportFeature"/>: a server other than Kestrel).</summary>
    NoConnectionTransport,

    /// <summary>The client offered permessage-deflate and compression is on: it is negotiated on the message path only.</summary>
    CompressionOffered,
}

/// <summary>What <see cref="PipeUpgrade.UpgradeAsync"/> did.</summary>
/// <param name="Transport">The upgraded connection, or null when refused.</param>
/// <param name="Refusal"><see cref="PipeUpgradeRefusal.None"/> when <paramref name="Transport"/> is set.</param>
/// <param name="SkippedHeaders">Pass-header names not written to the 101 (not a valid response header for Kestrel).</param>
internal sealed record PipeUpgradeResult(IDuplexPipe? Transport, PipeUpgradeRefusal Refusal, IReadOnlyList<string> SkippedHeaders)
{
    public static PipeUpgradeResult Refused(PipeUpgradeRefusal refusal) => new(null, refusal, []);
}

/// <summary>
/// The client leg of the frame relay: answers a WebSocket upgrade on Kestrel HTTP/1.1 itself (RFC 6455 §4.2.2) and
/// hands back the connection as a pipe pair, instead of a <see cref="System.Net.WebSockets.WebSocket"/>.
/// </summary>
/// <remarks>
/// <para>
/// Why: the relay parses every frame of one read in place and flushes once per batch, straight on the
/// connection's transport pipes (Kestrel's socket transport: one receive fills pooled blocks). <c>AcceptWebSocketAsync</c>
/// would put the runtime's WebSocket on the same bytes: a read per frame header and a copy of every payload into the
/// caller's buffer. Kestrel's own routes to those bytes do not help: an upgradable request's <c>Request.BodyReader</c>
/// is empty (it ends at once, before and after the upgrade), <c>Response.BodyWriter</c> throws once upgraded, and the
/// stream <see cref="IHttpUpgradeFeature.UpgradeAsync"/> returns would need a copy each way to become a pipe again.
/// So after the upgrade the pipes are those of <see cref="IConnectionTransportFeature"/> (behind TLS when the listener
/// has it): the pair the HTTP/1.1 parser reads the request from and Kestrel's upgrade stream reads and writes
/// through. Bytes the client sent right behind its request (same TCP segment) are still in that input: the parser
/// advances it exactly past the request head. Measured: 5 000 round trips of 64-byte messages through this leg and a
/// <c>RelayPump</c> echo allocated 0 bytes each in steady state (the whole process, the test's ClientWebSocket
/// included); the same echo over <c>AcceptWebSocketAsync</c> about 3 bytes.
/// </para>
/// <para>
/// The 101 carries what the frontend's accept writes today: the chosen subprotocol (the caller's, i.e. the
/// backend's choice, as given to <c>WebSocketAcceptContext.SubProtocol</c>) and the backend's pass-headers
/// that <see cref="ResponseHeaders.CanWrite"/> allows. No extension is ever negotiated: with compression on, a
/// permessage-deflate offer is refused here (the message path negotiates it); with compression off, an offer is
/// declined by leaving it unanswered, as the message path does.
/// </para>
/// <para>
/// Not covered yet: HTTP/2 extended CONNECT (RFC 8441), permessage-deflate, and anything about the session (pings,
/// idle timeout, close handshake). Writes bypass Kestrel's response bookkeeping (<c>MinResponseDataRate</c> does not
/// apply): the session's write timeout must bound a client that stops reading. The stream <c>UpgradeAsync</c>
/// returns is left unused and must stay so (it reads the same input). The pipes are valid only while the request
/// is running: the caller must not return from the request delegate until it is done with them, and completes both
/// when it is.
/// </para>
/// </remarks>
internal static class PipeUpgrade
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Whether <see cref="UpgradeAsync"/> would take this request, without touching the response.</summary>
    /// <param name="compression">The server's compression setting (on: a permessage-deflate offer stays on the message path).</param>
    public static PipeUpgradeRefusal Check(HttpContext context, bool compression)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        // First: an HTTP/2 WebSocket is a CONNECT, which the checks below would call no WebSocket at all.
        if (!HttpProtocol.IsHttp11(request.Protocol))
        {
            return PipeUpgradeRefusal.NotHttp11;
        }

        if (!HttpMethods.IsGet(request.Method) || !HasToken(request.Headers.Upgrade, "websocket")
            || !HasToken(request.Headers.Connection, "upgrade") || request.Headers.SecWebSocketVersion != "13"
            || !IsValidKey(request.Headers.SecWebSocketKey))
        {
            return PipeUpgradeRefusal.NotWebSocketRequest;
        }

        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
        {
            return PipeUpgradeRefusal.NoUpgradeFeature;
        }

        if (context.Features.Get<IConnectionTransportFeature>()?.Transport is null)
        {
            return PipeUpgradeRefusal.NoConnectionTransport;
        }

        if (compression && HasToken(request.Headers.SecWebSocketExtensions, "permessage-deflate", parameters: true))
        {
            return PipeUpgradeRefusal.CompressionOffered;
        }

        return PipeUpgradeRefusal.None;
    }

    /// <summary>
    /// Writes the 101 and upgrades the connection, or refuses (see <see cref="Check"/>) without writing anything, so
    /// the caller can go on with <c>AcceptWebSocketAsync</c>.
    /// </summary>
    /// <param name="subprotocol">The subprotocol to answer with (the backend's choice), or null.</param>
    /// <param name="additionalHeaders">The backend connection's pass-headers.</param>
    /// <exception cref="IOException">The connection failed while the 101 was written.</exception>
    /// <exception cref="InvalidOperationException">The response had already started.</exception>
    public static async Task<PipeUpgradeResult> UpgradeAsync(
        HttpContext context,
        string? subprotocol,
        IReadOnlyDictionary<string, string[]> additionalHeaders,
        bool compression)
    {
        var refusal = Check(context, compression);
        if (refusal != PipeUpgradeRefusal.None)
        {
            return PipeUpgradeResult.Refused(refusal);
        }

        var skipped = new List<string>();
        var headers = context.Response.Headers;
        foreach (var (name, values) in additionalHeaders)
        {
            if (ResponseHeaders.CanWrite(name, values))
            {
                headers[name] = values;
            }
            else
            {
                skipped.Add(name);
            }
        }

        // Ours last, so that no pass-header can replace them.
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptFor(context.Request.Headers.SecWebSocketKey.ToString());
        if (!string.IsNullOrEmpty(subprotocol))
        {
            headers[WsHeaders.Subprotocol] = subprotocol;
        }
        else
        {
            headers.Remove(WsHeaders.Subprotocol);
        }

        headers.Remove("Sec-WebSocket-Extensions");

        // A session lasts hours: a request timeout (if that middleware is in use) must not end it, as the WebSocket middleware ensures too.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
        // Kestrel gives an upgradable request an empty Request.BodyReader, and after the upgrade Response.BodyWriter
        // throws: only the stream UpgradeAsync returns reads and writes the connection, and a stream in between
        // would copy every read into a buffer of ours and every write out of one. Its reads go straight to the
        // connection's transport input and its writes, unframed, to the transport output, so we use that pipe pair
        // itself: the one the HTTP/1.1 parser read the request from, advanced exactly past the request head
        // (consumed = examined, so bytes sent behind the head come with the next read, without waiting for more).
        // Kestrel flushed the 101 before UpgradeAsync returned and writes nothing more on an upgraded connection.
        var transport = context.Features.Get<IConnectionTransportFeature>()!.Transport;
        return new PipeUpgradeResult(new UpgradedPipe(transport.Input, transport.Output), PipeUpgradeRefusal.None, skipped);
    }

    /// <summary>RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).</summary>
    public static string AcceptFor(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>RFC 6455 §4.1: a base64-encoded 16-byte nonce (24 characters).</summary>
    private static bool IsValidKey(StringValues values)
    {
        if (values.Count != 1 || values[0] is not { Length: 24 } key)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[18];
        return Convert.TryFromBase64String(key, nonce, out var written) && written == 16;
    }

    /// <summary>A comma-separated field holds <paramref name="token"/>; with <paramref name="parameters"/>, also as "token; params".</summary>
    internal static bool HasToken(StringValues values, string token, bool parameters = false)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var name = parameters && part.IndexOf(';') is var semicolon and >= 0 ? part[..semicolon].TrimEnd() : part;
                if (name.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private sealed class UpgradedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
