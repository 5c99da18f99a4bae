using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>
/// The client side of a relayed session as plugins see it (valve providers are never asked for a relayed session;
/// session listeners are): its identity and live figures, and a way to end it. The bytes go through the
/// session's pumps, not through this object.
/// </summary>
internal sealed class RelayClient(
    string id,
    string frontendId,
    Uri requestUri,
    IReadOnlyDictionary<string, string[]> headers,
    string? remoteAddress,
    RelaySession session) : IFrontendConnection, ISessionDetails, ISessionControl
{
    public string Id { get; } = id;

    public string FrontendId { get; } = frontendId;

    public Uri RequestUri { get; } = requestUri;

    public IReadOnlyDictionary<string, string[]> Headers { get; } = headers;

    public string? RemoteAddress { get; } = remoteAddress;

    public DateTimeOffset StartedAt => session.StartedAt;

    public long MessagesReceived => session.MessagesReceived;

    public long MessagesSent => session.MessagesSent;

    public int Reconnects => session.Reconnects;

    public string? EndReason => ((ISessionDetails)session).EndReason;

    public void Close(int code, string? reason) => session.Close(code, reason);

    /// <summary>The session drives this leg itself; there is nothing to start.</summary>
    public void Start()
    {
    }

    /// <summary>Closes the client normally (1000).</summary>
    public ValueTask CloseAsync()
    {
        session.Close(1000, null);
        return ValueTask.CompletedTask;
    }
}
