using System.Collections.Concurrent;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.RateLimit;

/// <summary>A client leg that can be closed by a plugin, as the host's are; it records every close it is asked for.</summary>
internal sealed class ClosableFrontend : IFrontendConnection, ISessionControl
{
    private readonly ConcurrentQueue<(int Code, string? Reason)> _closes = new();

    public required string Id { get; init; }

    public string FrontendId => "fe-main";

    public Uri RequestUri { get; } = new("/ws", UriKind.Relative);

    public IReadOnlyDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public string? RemoteAddress { get; init; }

    public IReadOnlyList<(int Code, string? Reason)> Closes => [.. _closes];

    public void Close(int code, string? reason) => _closes.Enqueue((code, reason));

    public void Start()
    {
    }

    public ValueTask CloseAsync() => ValueTask.CompletedTask;
}

/// <summary>A client leg of a host that offers no <see cref="ISessionControl"/>.</summary>
internal sealed class FixedFrontend : IFrontendConnection
{
    public required string Id { get; init; }

    public string FrontendId => "fe-main";

    public Uri RequestUri { get; } = new("/ws", UriKind.Relative);

    public IReadOnlyDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public string? RemoteAddress { get; init; }

    public void Start()
    {
    }

    public ValueTask CloseAsync() => ValueTask.CompletedTask;
}

/// <summary>A backend leg that only has an identity: valves never talk to it.</summary>
internal sealed class NamedBackend(string backendId) : IBackendConnection
{
    public string Id { get; } = "conn-" + backendId;

    public string BackendId { get; } = backendId;

    public string? Subprotocol => null;

    public IReadOnlyDictionary<string, string[]> AdditionalHeaders { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);

    public void Start()
    {
    }

    public ValueTask CloseAsync() => ValueTask.CompletedTask;

    public IReadOnlyList<WsMessage> TakeUnsent() => [];
}
