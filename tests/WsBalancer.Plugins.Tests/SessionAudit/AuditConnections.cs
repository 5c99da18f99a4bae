using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.SessionAudit;

/// <summary>A client leg with live figures, as the host's frontend connections are; the test sets the figures.</summary>
internal sealed class DetailedFrontend : IFrontendConnection, ISessionDetails
{
    public required string Id { get; init; }

    public string FrontendId { get; init; } = "fe-main";

    public Uri RequestUri { get; init; } = new("/ws/chat", UriKind.Relative);

    public IReadOnlyDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public string? RemoteAddress { get; init; } = "192.0.2.10";

    public DateTimeOffset StartedAt { get; set; }

    public long MessagesReceived { get; set; }

    public long MessagesSent { get; set; }

    public int Reconnects { get; set; }

    public string? EndReason { get; set; }

    public void Start()
    {
    }

    public ValueTask CloseAsync() => ValueTask.CompletedTask;
}

/// <summary>A client leg of a host that offers no <see cref="ISessionDetails"/>.</summary>
internal sealed class PlainFrontend : IFrontendConnection
{
    public required string Id { get; init; }

    public string FrontendId { get; init; } = "fe-plain";

    public Uri RequestUri { get; init; } = new("/plain", UriKind.Relative);

    public IReadOnlyDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public string? RemoteAddress { get; init; }

    public void Start()
    {
    }

    public ValueTask CloseAsync() => ValueTask.CompletedTask;
}
