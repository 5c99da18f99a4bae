namespace WsBalancer.Sdk;

/// <summary>Names of HTTP headers the balancer and its plugins agree on.</summary>
public static class WsHeaders
{
    /// <summary>The WebSocket subprotocol header, <c>Sec-WebSocket-Protocol</c>.</summary>
    public const string Subprotocol = "Sec-WebSocket-Protocol";

    /// <summary>The forwarding chain header, <c>X-Forwarded-For</c>.</summary>
    public const string ForwardedFor = "X-Forwarded-For";
}
