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
