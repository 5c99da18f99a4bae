using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Metrics;

namespace WsBalancer.Host.Tests.Metrics;

/// <summary>The sliding count behind "failovers in the last 5 minutes".</summary>
public sealed class RecentEventsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void InWindow_EventsSpreadOverTheWindow_AllCounted()
    {
        var events = new RecentEvents(TimeSpan.FromMinutes(5), _time);
        for (var i = 0; i < 10; i++)
        {
            events.Record();
            _time.Advance(TimeSpan.FromSeconds(25));
        }

        Assert.Equal(10, events.InWindow());
        Assert.Equal(10, events.Total);
    }

    [Fact]
    public void InWindow_EventsOlderThanTheWindow_Dropped_TotalKept()
    {
        var events = new RecentEvents(TimeSpan.FromMinutes(5), _time);
        events.Record();
        events.Record();
        _time.Advance(TimeSpan.FromMinutes(3));
        events.Record();

        _time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, events.InWindow());

        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(0, events.InWindow());
        Assert.Equal(3, events.Total);
    }

    [Fact]
    public void Record_SameBucketAfterAFullTurn_StartsFromZero()
    {
        var events = new RecentEvents(TimeSpan.FromSeconds(10), _time);
        events.Record();
        events.Record();
        _time.Advance(TimeSpan.FromSeconds(10)); // same slot of the ring, ten seconds later

        events.Record();

        Assert.Equal(1, events.InWindow());
    }
}
