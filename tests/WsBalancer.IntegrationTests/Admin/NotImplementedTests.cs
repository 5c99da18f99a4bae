using System.Net;
using Bogus;
using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Sdk;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>A dialer that is not an <see cref="IBackendAdministrator"/>: the backend endpoints answer 501, the rest works.</summary>
public sealed class NotImplementedTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData("GET", "/backend/list")]
    [InlineData("GET", "/backend/config/b1")]
    [InlineData("POST", "/backend/add")]
    [InlineData("POST", "/backend/disable/b1")]
    [InlineData("POST", "/backend/enable/b1")]
    [InlineData("POST", "/backend/reset/b1")]
    [InlineData("POST", "/backend/delete/b1")]
    [InlineData("POST", "/backend/failover/b1")]
    [InlineData("POST", "/backend/drain/b1")]
    [InlineData("POST", "/backend/undrain/b1")]
    public async Task BackendEndpoint_DialerWithoutAdministrator_501NotImplemented(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: sc => sc.AddSingleton<IBackendDialer>(new UnavailableDialer()));
        var content = method == "POST" ? AdminHttp.JsonBody($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9090","id":"x"}""") : null;

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct, content);

        Assert.Equal(HttpStatusCode.NotImplemented, reply.Status);
        Assert.Equal(AdminHttp.NotImplemented, reply.Body);
    }

    [Fact]
    public async Task OtherEndpoints_DialerWithoutAdministrator_ReadyAndListsWorkHandshake502()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        var dialer = new UnavailableDialer();
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: sc => sc.AddSingleton<IBackendDialer>(dialer));

        var ready = await balancer.GetAsync("/ready", ct);
        var sessions = await balancer.GetAsync("/session/list", ct);
        var frontends = await balancer.GetAsync("/frontend/list", ct);
        var handshake = await balancer.HandshakeStatusAsync($"/{_faker.Random.AlphaNumeric(6)}", ct);

        Assert.Equal((HttpStatusCode.OK, """{"status":"ready"}"""), (ready.Status, ready.Body)); // not paused; no administrator to ask about backends
        Assert.Equal((HttpStatusCode.OK, "[]"), (sessions.Status, sessions.Body));
        Assert.Equal(HttpStatusCode.OK, frontends.Status);
        Assert.Equal(502, handshake);
        Assert.Equal(1, dialer.Dials);
        Assert.Empty(backend.Connections); // the built-in upstream was replaced, not consulted
    }

    /// <summary>Implements only <see cref="IBackendDialer"/>, as a minimal plugin would; every dial finds nothing.</summary>
    private sealed class UnavailableDialer : IBackendDialer
    {
        private int _dials;

        public int Dials => Volatile.Read(ref _dials);

        public ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            throw new SystemUnavailableException("unavailable-dialer", 0, "this dialer never finds a backend");
        }
    }
}
