using System.Text.Json.Serialization;
using WsBalancer.Host.Sessions;

namespace WsBalancer.Host.Admin;

/// <summary>One session as <c>GET /session/list</c> shows it: the ancestor's fields, in the ancestor's order, then which core carries it (<c>path</c>: <c>relay</c> or <c>message</c>).</summary>
internal sealed record SessionRow(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("backendId")] string BackendId,
    [property: JsonPropertyName("reconnects")] int Reconnects,
    [property: JsonPropertyName("msgsReceived")] long MessagesReceived,
    [property: JsonPropertyName("msgsSent")] long MessagesSent,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("remoteAddress")] string? RemoteAddress,
    [property: JsonPropertyName("path")] string Path)
{
    public static SessionRow Of(ILiveSession session) => new(
        session.Id,
        session.RequestTarget,
        session.BackendId,
        session.Reconnects,
        session.MessagesReceived,
        session.MessagesSent,
        session.StartedAt,
        session.RemoteAddress,
        session.Path == SessionPath.Relay ? "relay" : "message");
}
