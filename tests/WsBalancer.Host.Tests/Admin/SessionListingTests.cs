using Bogus;
using WsBalancer.Host.Admin;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>Filtering and paging of the live sessions for GET /session/list?q=&amp;backend=&amp;offset=&amp;limit=.</summary>
public sealed class SessionListingTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Faker _faker = new() { Random = new Randomizer(1700) };

    private List<SessionRow> Rows(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new SessionRow(
            _faker.Random.Hash(16),
            $"/{_faker.Random.AlphaNumeric(5)}/{i}",
            i % 2 == 0 ? "blue" : "green",
            0,
            i,
            i,
            Start.AddSeconds(count - i), // listed in the opposite order of their start, so the sort is seen
            $"10.1.{i / 250}.{i % 250}",
            i % 3 == 0 ? "message" : "relay"))];

    private static SessionPage Page(List<SessionRow> rows, SessionQuery query) =>
        SessionListing.Page(query, id => rows.Find(r => r.Id == id), rows);

    [Fact]
    public void Page_NoFilter_TotalIsAllAndPagesCoverEverySessionOnceOldestFirst()
    {
        var rows = Rows(23);
        var seen = new List<SessionRow>();
        for (var offset = 0; offset < 23; offset += 5)
        {
            var page = Page(rows, new SessionQuery(null, null, offset, 5));
            Assert.Equal(23, page.Total);
            Assert.Equal(offset, page.Offset);
            Assert.Equal(5, page.Limit);
            Assert.Equal(Math.Min(5, 23 - offset), page.Items.Count);
            seen.AddRange(page.Items);
        }

        Assert.Equal(rows.OrderBy(r => r.StartedAt).Select(r => r.Id), seen.Select(r => r.Id));
    }

    [Fact]
    public void Page_OffsetPastTheEnd_EmptyWithTotal()
    {
        var page = Page(Rows(4), new SessionQuery(null, null, 10, 5));

        Assert.Equal(4, page.Total);
        Assert.Empty(page.Items);
    }

    [Fact]
    public void Page_Backend_OnlyThatBackendExactly()
    {
        var rows = Rows(10);
        rows.Add(rows[0] with { Id = "other", BackendId = "blue-2" });

        var page = Page(rows, new SessionQuery(null, "blue", 0, 50));

        Assert.Equal(5, page.Total);
        Assert.All(page.Items, r => Assert.Equal("blue", r.BackendId));
    }

    [Fact]
    public void Page_TextInUriIdBackendOrAddress_MatchedCaseInsensitively()
    {
        var rows = Rows(30);

        Assert.Equal([rows[7].Id], Page(rows, new SessionQuery(rows[7].Uri.ToUpperInvariant(), null, 0, 50)).Items.Select(r => r.Id));
        Assert.Equal([rows[3].Id], Page(rows, new SessionQuery(rows[3].Id[..12].ToUpperInvariant(), null, 0, 50)).Items.Select(r => r.Id));
        Assert.Equal(15, Page(rows, new SessionQuery("GREEN", null, 0, 50)).Total);
        var byAddress = Page(rows, new SessionQuery("10.1.0.12", null, 0, 50)).Items;
        Assert.Contains(rows[12], byAddress);
        Assert.All(byAddress, r => Assert.Contains("10.1.0.12", r.RemoteAddress, StringComparison.Ordinal));
    }

    [Fact]
    public void Page_TextAndBackend_BothMustMatch()
    {
        var rows = Rows(10);

        var page = Page(rows, new SessionQuery(rows[1].Uri, "blue", 0, 50));

        Assert.Equal(0, page.Total); // rows[1] is on green
    }

    [Fact]
    public void Page_ExactId_LookedUpWithoutWalkingTheSessions()
    {
        var rows = Rows(100);
        var target = rows[42];

        var page = SessionListing.Page(new SessionQuery(target.Id, null, 0, 10), id => rows.Find(r => r.Id == id), NeverEnumerated());

        Assert.Equal(1, page.Total);
        Assert.Equal(target, Assert.Single(page.Items));
    }

    [Fact]
    public void Page_ExactIdOnAnotherBackend_NoMatch()
    {
        var rows = Rows(10);
        var target = rows[2]; // blue

        var page = SessionListing.Page(new SessionQuery(target.Id, "green", 0, 10), id => rows.Find(r => r.Id == id), NeverEnumerated());

        Assert.Equal(0, page.Total);
        Assert.Empty(page.Items);
    }

    private static IEnumerable<SessionRow> NeverEnumerated()
    {
        Assert.Fail("an id lookup must not walk the sessions");
        yield break;
    }
}
