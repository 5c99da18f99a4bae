namespace WsBalancer.Host.WebSockets;

internal enum FrameParseStatus
{
    /// <summary>The bytes so far are a valid start of a header; more are needed.</summary>
    NeedMoreData,

    /// <summary>A whole, valid header was read.</summary>
    Header,

    /// <summary>The bytes break RFC 6455; the leg must be failed.</summary>
    Error,
}
