using WsBalancer.Host.Sessions;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Sessions;

public sealed class BufferBudgetTests
{
    private const long Limit = 1000;

    private static WsMessage Message(int bytes) => WsMessage.Binary(new byte[bytes]);

    [Fact]
    public void Admits_UnderTheLimit_Everyone()
    {
        var budget = new BufferBudget(Limit);
        var big = new BufferAccount(budget);
        big.Add(600);

        Assert.True(big.Admits(400));
        Assert.True(new BufferAccount(budget).Admits(400));
        Assert.Equal((600, 1), (budget.Used, budget.Holders));
    }

    [Fact]
    public void Admits_OverTheLimit_TheLargestHolderWaitsASmallOneGoesOnUpToTheCeiling()
    {
        var budget = new BufferBudget(Limit);
        var big = new BufferAccount(budget);
        var small = new BufferAccount(budget);
        big.Add(950);
        small.Add(40); // two holders: a fair share is 500

        Assert.False(big.Admits(100));
        Assert.True(small.Admits(100)); // 1090 ≤ the ceiling (1125), and 140 ≤ its share
        Assert.False(small.Admits(200)); // 1190: past the ceiling
        Assert.Equal(Limit + (Limit / 8), budget.Ceiling);
    }

    [Fact]
    public void Admits_HoldingNothing_OneMessageLargerThanTheRoomLeftWhileUnderTheLimit()
    {
        var budget = new BufferBudget(Limit);
        var other = new BufferAccount(budget);
        other.Add(900);
        var empty = new BufferAccount(budget);

        Assert.True(empty.Admits(5000)); // a budget smaller than a message must not stop it for ever
        other.Add(100);
        Assert.False(empty.Admits(5000)); // the level reached the budget: it waits too
    }

    [Fact]
    public void Set_ChargesOnlyTheChange_ClearGivesAllBack()
    {
        var budget = new BufferBudget(Limit);
        var account = new BufferAccount(budget);

        account.Set(300);
        account.Set(300);
        account.Set(100);
        Assert.Equal((100, 100, 1), (account.Held, budget.Used, budget.Holders));
        account.Clear();
        Assert.Equal((0, 0, 0), (account.Held, budget.Used, budget.Holders));
        account.Remove(50); // nothing held: nothing to give back
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task Room_CompletedByTheNextRelease()
    {
        var budget = new BufferBudget(Limit);
        var account = new BufferAccount(budget);
        account.Add(Limit);
        var room = budget.Room();
        Assert.False(room.IsCompleted);

        account.Remove(10);

        await room.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(budget.Room().IsCompleted); // a new wait needs a new release
    }

    [Fact]
    public async Task PendingQueue_OverTheBudget_ReaderWaitsUntilAnotherSessionsBackendTakes()
    {
        var ct = TestContext.Current.CancellationToken;
        var budget = new BufferBudget(Limit);
        var other = new PendingQueue(100, 1_000_000, new BufferAccount(budget));
        var otherLeg = new LegReader(other);
        var queue = new PendingQueue(100, 1_000_000, new BufferAccount(budget));
        await other.EnqueueAsync(Message(700), ct);
        await queue.EnqueueAsync(Message(300), ct);

        var waiting = queue.EnqueueAsync(Message(200), ct).AsTask();
        Assert.False(waiting.IsCompleted); // 1200 is past the ceiling
        Assert.Equal(1, budget.Refusals);
        Assert.NotEqual(0, queue.WaitingForRoomSince); // it holds a message its own backend has not taken

        Assert.True(otherLeg.TryRead(out _));

        Assert.Equal(EnqueueOutcome.Accepted, await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.Equal((500, 0), (budget.Used, queue.WaitingForRoomSince));
    }

    [Fact]
    public async Task PendingQueue_BudgetWaitWithItsQueueEmpty_NoStallClock()
    {
        var ct = TestContext.Current.CancellationToken;
        var budget = new BufferBudget(Limit);
        var other = new PendingQueue(100, 1_000_000, new BufferAccount(budget));
        await other.EnqueueAsync(Message(1120), ct); // alone past the ceiling (1125) with any more
        var queue = new PendingQueue(100, 1_000_000, new BufferAccount(budget));

        var waiting = queue.EnqueueAsync(Message(10), ct).AsTask();

        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, queue.WaitingForRoomSince); // not its backend's doing: no 1013 "backend stalled" for it
        other.Complete(); // that session ended: what it held is given back
        Assert.Equal(EnqueueOutcome.Accepted, await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    [Fact]
    public async Task PendingQueue_OverTheBudgetWhileRedialing_WaitsInsteadOfOverflowing()
    {
        var ct = TestContext.Current.CancellationToken;
        var budget = new BufferBudget(Limit);
        var queue = new PendingQueue(100, 1_000_000, new BufferAccount(budget));
        var leg = new LegReader(queue);
        queue.BeginHolding();
        await queue.EnqueueAsync(Message(1000), ct);

        var waiting = queue.EnqueueAsync(Message(10), ct).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.True(leg.TryRead(out _));

        Assert.Equal(EnqueueOutcome.Accepted, await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }
}
