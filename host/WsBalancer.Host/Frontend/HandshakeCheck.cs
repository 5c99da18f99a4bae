using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace WsBalancer.Host.Frontend;

/// <summary>Why a request is not a WebSocket opening handshake the frontend takes: the status and a reason naming the header.</summary>
/// <param name="VersionRequired">True for 426: the reply must carry <c>Sec-WebSocket-Version: 13</c> (RFC 6455 §4.4).</param>
internal sealed record HandshakeProblem(int Status, string Reason, bool VersionRequired = false);

/// <summary>
/// Tells a client what is wrong with its opening handshake (RFC 6455 §4.2.1) before anything is dialed, in the terms of
/// the request it sent. The WebSocket middleware only says yes or no; a client (or its developer) needs to know which
/// header to fix.
/// </summary>
internal static class HandshakeCheck
{
    public const string SupportedVersion = "13";

    /// <summary>Values are quoted back to the client up to this length: enough to recognise, never a header's worth.</summary>
    private const int QuotedLength = 40;

    public const string NotAnUpgrade = "a WebSocket upgrade request is required";

    /// <summary>Null when the request is an upgrade the frontend takes (HTTP/1.1 GET, RFC 6455 §4.1, or an HTTP/2 extended CONNECT).</summary>
    public static HandshakeProblem? Find(HttpContext context)
    {
        var request = context.Request;
        // HTTP/1.0 has no Upgrade mechanism (RFC 6455 §4.1 asks for 1.1 or higher), though the middleware would take one.
        if (HttpProtocol.IsHttp10(request.Protocol) || HttpProtocol.IsHttp09(request.Protocol))
        {
            return new(StatusCodes.Status400BadRequest, $"a WebSocket upgrade needs HTTP/1.1 or later, not {request.Protocol}");
        }

        if (context.WebSockets.IsWebSocketRequest)
        {
            return null;
        }

        var headers = request.Headers;
        var upgrade = headers.Upgrade;
        var connectionUpgrade = PipeUpgrade.HasToken(headers.Connection, "upgrade");
        if (StringValues.IsNullOrEmpty(upgrade))
        {
            return new(StatusCodes.Status400BadRequest, connectionUpgrade ? "Upgrade header is missing: send Upgrade: websocket" : NotAnUpgrade);
        }

        if (!PipeUpgrade.HasToken(upgrade, "websocket"))
        {
            return new(StatusCodes.Status400BadRequest, $"Upgrade {Quote(upgrade)} is not supported: send Upgrade: websocket");
        }

        if (!connectionUpgrade)
        {
            return new(StatusCodes.Status400BadRequest, "Connection header must include Upgrade: send Connection: Upgrade");
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            return new(StatusCodes.Status400BadRequest, $"a WebSocket upgrade is a GET request, not {Quote(request.Method)}");
        }

        var version = headers.SecWebSocketVersion;
        if (version.Count != 1 || version[0] != SupportedVersion)
        {
            var got = StringValues.IsNullOrEmpty(version) ? "is missing" : $"{Quote(version)} is not supported";
            return new(StatusCodes.Status426UpgradeRequired, $"Sec-WebSocket-Version {got}: send Sec-WebSocket-Version: {SupportedVersion}", VersionRequired: true);
        }

        return StringValues.IsNullOrEmpty(headers.SecWebSocketKey)
            ? new(StatusCodes.Status400BadRequest, "Sec-WebSocket-Key is missing: send the base64 encoding of 16 random bytes")
            : new(StatusCodes.Status400BadRequest, "Sec-WebSocket-Key: expected the base64 encoding of 16 random bytes (24 characters), once");
    }

    private static string Quote(StringValues values)
    {
        var text = values.ToString();
        return text.Length <= QuotedLength ? $"'{text}'" : $"'{text[..QuotedLength]}…'";
    }
}
