using WsBalancer.Host.Sessions;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Sessions;

public sealed class PendingQueueTests
{
    private static WsMessage Message(int bytes = 10) => WsMessage.Binary(new byte[bytes]);

    [Fact]
    public async Task Enqueue_Holding_FullByCount_Overflows()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(maxMessages: 3, maxBytes: 1_000_000);
        queue.BeginHolding();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EnqueueOutcome.Accepted, await queue.EnqueueAsync(Message(), ct));
        }

        Assert.Equal(EnqueueOutcome.Overflow, await queue.EnqueueAsync(Message(), ct));
    }

    [Fact]
    public async Task Enqueue_Holding_FullByBytes_Overflows()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(maxMessages: 1000, maxBytes: 100);
        queue.BeginHolding();

        Assert.Equal(EnqueueOutcome.Accepted, await queue.EnqueueAsync(Message(60), ct));
        Assert.Equal(EnqueueOutcome.Overflow, await queue.EnqueueAsync(Message(60), ct));
        Assert.Equal(60, queue.Bytes);
    }

    [Fact]
    public async Task Enqueue_EmptyQueue_AcceptsOneMessageLargerThanTheByteLimit()
    {
        var queue = new PendingQueue(maxMessages: 10, maxBytes: 100);
        queue.BeginHolding();

        Assert.Equal(EnqueueOutcome.Accepted, await queue.EnqueueAsync(Message(500), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Enqueue_Running_Full_WaitsUntilALegTakesOne()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(maxMessages: 2, maxBytes: 1_000_000);
        var reader = new LegReader(queue);
        await queue.EnqueueAsync(Message(), ct);
        await queue.EnqueueAsync(Message(), ct);

        var third = queue.EnqueueAsync(Message(), ct).AsTask();
        Assert.False(third.IsCompleted);
        Assert.True(reader.TryRead(out _));

        Assert.Equal(EnqueueOutcome.Accepted, await third.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    [Fact]
    public async Task Enqueue_WaitingWhenHoldingBegins_Overflows()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(maxMessages: 1, maxBytes: 1_000_000);
        await queue.EnqueueAsync(Message(), ct);
        var waiting = queue.EnqueueAsync(Message(), ct).AsTask();

        queue.BeginHolding();

        Assert.Equal(EnqueueOutcome.Overflow, await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    [Fact]
    public async Task EnqueueSignal_BypassesLimits()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(maxMessages: 1, maxBytes: 10);
        var reader = new LegReader(queue);
        await queue.EnqueueAsync(Message(), ct);

        queue.EnqueueSignal(WsMessage.NormalClosure(1000, "bye"));

        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out var signal));
        Assert.Equal(WsMessageType.RemoteConnectionNormalClosure, signal.Type);
    }
}
