namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>
/// One balancer in front of one echo backend, shared by the tests of a class: each test opens its own connection on
/// its own request target, so the backend connection that served it can be found afterwards.
/// </summary>
public class EchoBalancerFixture : IAsyncLifetime
{
    private TestBackend? _backend;
    private TestBalancer? _balancer;

    /// <summary>server.max-message-size for this balancer; null keeps the default.</summary>
    protected virtual int? MaxMessageBytes => null;

    public TestBackend Backend => _backend ?? throw new InvalidOperationException("not started");

    public TestBalancer Balancer => _balancer ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _backend = await TestBackend.StartAsync("echo", ct);
        _balancer = await TestBalancer.StartAsync(
            [_backend],
            ct,
            // The suite grades the frame relay: the endpoint checks it owes are made per frame there.
            server: s => (MaxMessageBytes is { } max ? s with { MaxMessageBytes = max } : s) with { FrameRelay = true });
    }

    /// <summary>A new raw connection through the balancer on a request target of its own.</summary>
    public async Task<(RawWebSocketClient Client, string Target)> ConnectAsync(CancellationToken cancellationToken)
    {
        var target = $"/conformance/{Guid.NewGuid():N}";
        return (await RawWebSocketClient.ConnectAsync(Balancer.FrontendUri, target, cancellationToken), target);
    }

    /// <summary>Every message the backend got on the connection dialed for <paramref name="target"/>, once that connection ended.</summary>
    public async Task<IReadOnlyList<ReceivedFrame>> BackendReceivedAsync(string target, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        BackendConnection? connection;
        while ((connection = Backend.Connections.FirstOrDefault(c => c.Target == target)) is null)
        {
            // The backend records a connection just after writing its 101, so this is a window of microseconds.
            await Task.Delay(5, timeout.Token);
        }

        await connection.Ended.WaitAsync(timeout.Token);
        return connection.Received;
    }

    public async ValueTask DisposeAsync()
    {
        if (_balancer is not null)
        {
            await _balancer.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>The echo balancer with server.max-message-size set to <see cref="Limit"/> bytes.</summary>
public sealed class LimitedEchoBalancerFixture : EchoBalancerFixture
{
    public const int Limit = 64 * 1024;

    protected override int? MaxMessageBytes => Limit;
}
