using System.Net.WebSockets;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Sessions;

namespace WsBalancer.IntegrationTests.Sessions;

/// <summary>
/// <c>server.buffer-budget</c>: the bytes all sessions hold are counted on both paths, and over the budget the message
/// path's largest holder is back-pressured (its client's sends stop completing) while a small session goes on.
/// </summary>
public sealed class BufferBudgetTests
{
    private const int Chunk = 64 * 1024;
    private readonly Faker _faker = new();

    [Fact]
    public async Task Relay_BackendMessageNotYetWhole_CountedUntilItsEndArrives()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct, settings: b => b with
        {
            Backends = [new BackendSettings { Url = backend.Url, Id = "raw" }],
        });
        using var client = await balancer.ConnectAsync("/relay", ct);
        Assert.Equal(SessionPath.Relay, (await balancer.SingleSessionAsync(ct)).Path);
        var connection = await backend.WaitForConnectionAsync(0, ct);
        var first = _faker.Random.Bytes(2 * 1024 * 1024);

        // The relay sends a backend's message on only once it is whole: until then it holds it, and counts it.
        await connection.SendFrameAsync(RawOpcode.Binary, first, ct, fin: false);
        await WaitUntilAsync(() => balancer.Budget.Used >= first.Length, ct);
        Assert.Equal(1, balancer.Budget.Holders);
        Assert.Contains("wsbalancer_buffered_bytes", await balancer.Admin.GetStringAsync("/metrics", ct));

        await connection.SendFrameAsync(RawOpcode.Continuation, [1, 2, 3], ct);
        var message = await client.ReceiveMessageAsync(ct);
        Assert.Equal(first.Length + 3, message.Data.Length);
        await WaitUntilAsync(() => balancer.Budget.Used == 0, ct);
    }

    [Fact]
    public async Task MessagePath_BackendTakesNothing_ItsSessionHeldAtTheBudgetAnotherEchoes()
    {
        var ct = TestContext.Current.CancellationToken;
        const long budget = 1024 * 1024;
        await using var silent = NonReadingBackend.Start();
        await using var echo = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([], ct, settings: b => b with
        {
            // Stall timeout off: the session must stay back-pressured, not be ended, for as long as its backend takes nothing.
            Server = b.Server with { FrameRelay = false, BufferBudget = budget, StallTimeout = TimeSpan.Zero },
            Backends = [new BackendSettings { Url = silent.Url, Id = silent.Name }, new BackendSettings { Url = echo.Url, Id = echo.Name }],
        });
        var first = await balancer.ConnectAsync("/first", ct, o => o.KeepAliveInterval = TimeSpan.Zero);
        var second = await balancer.ConnectAsync("/second", ct, o => o.KeepAliveInterval = TimeSpan.Zero);
        await balancer.WaitForSessionsAsync(2, ct);
        var firstOnSilent = balancer.Sessions.Sessions.Single(s => s.RequestTarget == "/first").BackendId == silent.Name;
        var (streaming, bystander) = firstOnSilent ? (first, second) : (second, first);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var payload = _faker.Random.Bytes(Chunk);
        var sending = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await streaming.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // stopped by the test: the balancer never closes it
            }
        }, ct);

        // Its backend's socket fills, then its queue grows until the budget stops it: the largest (only) holder waits.
        await WaitUntilAsync(() => balancer.Budget.Refusals > 0, ct);
        Assert.InRange(balancer.Budget.Used, budget - Chunk, budget + Chunk);
        for (var i = 0; i < 5; i++)
        {
            await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        Assert.InRange(balancer.Budget.Used, budget - Chunk, budget + Chunk); // held there, not grown to max-pending-bytes
        Assert.False(sending.IsCompleted);
        Assert.Contains("wsbalancer_buffer_budget_waits_total", await balancer.Admin.GetStringAsync("/metrics", ct));

        balancer.Sessions.Sessions.Single(s => s.BackendId == silent.Name).Abort();
        await stop.CancelAsync();
        await sending;
        await balancer.WaitForSessionsAsync(1, ct);
        await WaitUntilAsync(() => balancer.Budget.Used == 0, ct); // what the ended session held is given back
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token); // the budget's level has no event: polled, bounded by the timeout
        }
    }
}
