using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Sessions;

/// <summary>A client that stops reading must not hold the balancer's memory (or its backend) forever.</summary>
public sealed class SlowClientTests
{
    [Fact]
    public async Task ClientStopsReading_DroppedAfterWriteTimeout_OtherSessionUnharmed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync(
            [backend], ct, server: s => s with { Frontend = s.Frontend with { WriteTimeout = TimeSpan.FromMilliseconds(500) } });
        var stalled = await balancer.ConnectAsync("/stalled", ct);
        var bystander = await balancer.ConnectAsync("/bystander", ct);
        await stalled.AssertEchoAsync("hello", ct);
        var flooded = backend.Connections.Single(c => c.Target == "/stalled");

        // The backend floods a client that never reads: far more than the loopback socket buffers hold.
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var chunk = new string('x', 64 * 1024);
        var flood = Task.Run(
            async () =>
            {
                for (var i = 0; i < 1000 && !stopFlood.IsCancellationRequested; i++)
                {
                    await flooded.SendTextAsync(chunk, stopFlood.Token);
                }
            },
            stopFlood.Token);

        await balancer.WaitForSessionsAsync(1, ct);
        await flooded.Ended.WaitAsync(Timeouts.Default, ct);
        try
        {
            stopFlood.Cancel();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is ObjectDisposedException))
        {
            // Cancelling the flood's pending send aborts the backend's request, which ASP.NET Core may already have
            // disposed when that connection ended: nothing is left to stop.
        }
        await Task.WhenAny(flood, Task.Delay(Timeouts.Default, ct));

        Assert.Equal("/bystander", (await balancer.SingleSessionAsync(ct)).RequestUri.PathAndQuery);
        await bystander.AssertEchoAsync("unharmed", ct);
    }
}
