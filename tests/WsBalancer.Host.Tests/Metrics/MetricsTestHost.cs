using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Upstream;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Metrics;

/// <summary>One balancer's metrics services, built the way the host builds them, plus real (unconnected) legs.</summary>
internal sealed class MetricsTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    public MetricsTestHost(bool enableInstrumentation = false)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton(new ServerSettings { EnableInstrumentation = enableInstrumentation });
        services.AddBalancerMetrics();
        _services = services.BuildServiceProvider();
    }

    public BalancerMetrics Metrics => _services.GetRequiredService<BalancerMetrics>();

    public ISessionListener Listener => Assert.Single(_services.GetServices<ISessionListener>());

    public IValveProvider ValveProvider => Assert.Single(_services.GetServices<IValveProvider>());

    /// <summary>The Prometheus text a scrape of this host returns.</summary>
    public async Task<string> ScrapeAsync()
    {
        using var buffer = new MemoryStream();
        await Metrics.Registry.CollectAndExportAsTextAsync(buffer, TestContext.Current.CancellationToken);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A client leg over a WebSocket that is never used: the listener only reads ids.</summary>
    public static ClientLeg Client(string sessionId, string frontendId = "fe") => new(
        sessionId,
        frontendId,
        new Uri("ws://localhost/ws"),
        new Dictionary<string, string[]>(),
        "127.0.0.1",
        new FixedSessionDetails(DateTimeOffset.UnixEpoch, 0, 0, 0, null),
        new FixedSessionDetails(DateTimeOffset.UnixEpoch, 0, 0, 0, null),
        WebSocket.CreateFromStream(Stream.Null, new WebSocketCreationOptions { IsServer = true }),
        TimeSpan.FromSeconds(10));

    /// <summary>A backend leg that is never started, so it never dials or touches the network.</summary>
    public static IBackendConnection Backend(string backendId)
    {
        var backend = new UpstreamBackend(new BackendSettings { Url = new Uri("ws://127.0.0.1:9/"), Id = backendId }, TimeProvider.System);
        var receive = Channel.CreateUnbounded<WsMessage>();
        var send = Channel.CreateUnbounded<WsMessage>();
        var context = new BackendDialContext(new Uri("ws://localhost/ws"), new Dictionary<string, string[]>(), receive.Reader, send.Writer, null);
        return new WebSocketBackendConnection(
            $"{backendId}.1", new ClientWebSocket(), backend, context, new Dictionary<string, string[]>(), 1024, TimeSpan.FromSeconds(1), NullLogger.Instance);
    }

    /// <summary>The lines of a scrape that carry a value for <paramref name="series"/> (not its HELP or TYPE lines).</summary>
    public static IReadOnlyList<string> Samples(string scrape, string series)
    {
        var samples = new List<string>();
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(series, StringComparison.Ordinal) && line.Length > series.Length && line[series.Length] is ' ' or '{')
            {
                samples.Add(line);
            }
        }

        return samples;
    }

    public void Dispose() => _services.Dispose();
}

/// <summary>Session figures that never change, for a client leg that never carries traffic; closing it does nothing.</summary>
internal sealed record FixedSessionDetails(DateTimeOffset StartedAt, long MessagesReceived, long MessagesSent, int Reconnects, string? EndReason) : ISessionDetails, ISessionControl
{
    public void Close(int code, string? reason)
    {
    }
}
