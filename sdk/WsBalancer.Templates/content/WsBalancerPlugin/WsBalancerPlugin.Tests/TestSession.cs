using WsBalancer.Sdk;

namespace WsBalancerPlugin.Tests;

/// <summary>
/// A session whose two legs are inert: the provider only needs a session to be handed one, and the valve is then
/// driven directly, message by message, as the balancer would drive it.
/// </summary>
internal static class TestSession
{
    public static ProxySession Create() => new(new Frontend(), new Backend());

    private sealed class Frontend : IFrontendConnection
    {
        public string Id => "test-session";

        public string FrontendId => "test-frontend";

        public Uri RequestUri { get; } = new("ws://127.0.0.1/");

        public IReadOnlyDictionary<string, string[]> Headers { get; } = new Dictionary<string, string[]>();

        public string? RemoteAddress => "127.0.0.1";

        public void Start()
        {
        }

        public ValueTask CloseAsync() => ValueTask.CompletedTask;
    }

    private sealed class Backend : IBackendConnection
    {
        public string Id => "test-backend-connection";

        public string BackendId => "test-backend";

        public string? Subprotocol => null;

        public IReadOnlyDictionary<string, string[]> AdditionalHeaders { get; } = new Dictionary<string, string[]>();

        public IReadOnlyList<WsMessage> TakeUnsent() => [];

        public void Start()
        {
        }

        public ValueTask CloseAsync() => ValueTask.CompletedTask;
    }
}
