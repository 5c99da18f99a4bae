using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.Shared;

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
