using WsBalancer.Host.Sessions;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Sessions;

public sealed class LegReaderTests
{
    [Fact]
    public async Task TryRead_ReplaysUnsentBeforeQueuedMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(100, 100_000);
        var reader = new LegReader(queue);
        await queue.EnqueueAsync(WsMessage.Text("3"), ct);
        reader.Replay([WsMessage.Text("1"), WsMessage.Text("2")]);

        var order = new List<string>();
        while (reader.TryRead(out var message))
        {
            order.Add(message.GetText());
        }

        Assert.Equal(["1", "2", "3"], order);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Detach_LegTakesNothingMore_SuccessorGetsEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(100, 100_000);
        var old = new LegReader(queue);
        var successor = new LegReader(queue);
        await queue.EnqueueAsync(WsMessage.Text("a"), ct);

        old.Detach();

        Assert.False(old.TryRead(out _));
        Assert.False(await old.WaitToReadAsync(ct));
        Assert.True(successor.TryRead(out var message));
        Assert.Equal("a", message.GetText());
    }

    [Fact]
    public async Task WaitToReadAsync_CompletesWhenAMessageArrives()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new PendingQueue(100, 100_000);
        var reader = new LegReader(queue);
        var waiting = reader.WaitToReadAsync(ct).AsTask();
        Assert.False(waiting.IsCompleted);

        await queue.EnqueueAsync(WsMessage.Text("x"), ct);

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }
}
