using System.Net;
using System.Net.WebSockets;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// The real balancer over one echo backend, with a live echo session through it and every log line captured: what a
/// bad-input test needs to show that a bad request harmed nothing (same backends, session still echoing, /health up,
/// no error or exception in the log).
/// </summary>
internal sealed class AdminHarness : IAsyncDisposable
{
    private readonly Faker _faker = new();
    private readonly TestBackend _backend;
    private readonly string? _authorization;
    private string _backends = "";

    private AdminHarness(TestBackend backend, TestBalancer balancer, AdminLogCapture log, string? authorization)
    {
        _backend = backend;
        _authorization = authorization;
        Balancer = balancer;
        Log = log;
    }

    public TestBalancer Balancer { get; }

    public AdminLogCapture Log { get; }

    public ClientWebSocket Session { get; private set; } = null!;

    public Uri AdminUri => Balancer.Admin.BaseAddress!;

    /// <param name="authorization">The Authorization header of the harness's own checks, when the settings require a token.</param>
    public static async Task<AdminHarness> StartAsync(
        CancellationToken cancellationToken, Func<ServerSettings, ServerSettings>? server = null, string? authorization = null)
    {
        var log = new AdminLogCapture();
        var backend = await TestBackend.StartAsync("b1", cancellationToken);
        TestBalancer? balancer = null;
        try
        {
            balancer = await TestBalancer.StartAsync([backend], cancellationToken, server: server, services: log.AddTo);
            var harness = new AdminHarness(backend, balancer, log, authorization);
            harness.Session = await balancer.ConnectAsync("/live", cancellationToken);
            harness._backends = await harness.BackendListAsync(cancellationToken);
            return harness;
        }
        catch
        {
            if (balancer is not null)
            {
                await balancer.DisposeAsync();
            }

            await backend.DisposeAsync();
            throw;
        }
    }

    /// <summary>The backend list as the API answers it.</summary>
    public async Task<string> BackendListAsync(CancellationToken cancellationToken)
    {
        var reply = await Balancer.GetAsync("/backend/list", cancellationToken, _authorization);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Body;
    }

    /// <summary>The backends are those of the start, the session echoes, /health answers, and nothing failed in the log.</summary>
    public async Task AssertUnharmedAsync(CancellationToken cancellationToken)
    {
        Assert.Equal(_backends, await BackendListAsync(cancellationToken));
        await Session.AssertEchoAsync(_faker.Lorem.Sentence(), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, (await Balancer.GetAsync("/health", cancellationToken)).Status);
        Log.AssertNoFailures();
    }

    /// <summary>
    /// The API's error shape with <paramref name="status"/>, a reason containing <paramref name="reasonPart"/>, and no
    /// .NET type or namespace in it: the reason is for the user, in the API's terms.
    /// </summary>
    public static void AssertFailed(AdminReply reply, HttpStatusCode status, string reasonPart)
    {
        Assert.True(reply.Status == status, $"{(int)reply.Status} {reply.Body}");
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.StartsWith("application/json", reply.ContentType, StringComparison.Ordinal);
        Assert.Contains(reasonPart, reply.Reason, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\b(System|WsBalancer|Microsoft)\.[A-Z]", reply.Reason!);
    }

    public async ValueTask DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await _backend.DisposeAsync();
    }
}
