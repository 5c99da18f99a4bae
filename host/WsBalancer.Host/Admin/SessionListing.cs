namespace WsBalancer.Host.Admin;

/// <summary>Filters and pages the live sessions for a <see cref="SessionQuery"/>.</summary>
internal static class SessionListing
{
    /// <param name="findById">The registry's keyed lookup: a query that is an exact id never walks <paramref name="all"/>.</param>
    /// <param name="all">Every live session, read lazily and only when the query is not a known id.</param>
    public static SessionPage Page(SessionQuery query, Func<string, SessionRow?> findById, IEnumerable<SessionRow> all)
    {
        if (query.Text is { } text && findById(text) is { } byId)
        {
            var match = query.Backend is null || byId.BackendId == query.Backend;
            var items = match && query.Offset == 0 ? new[] { byId } : [];
            return new SessionPage(match ? 1 : 0, query.Offset, query.Limit, items);
        }

        var matches = new List<SessionRow>();
        foreach (var row in all)
        {
            if (Matches(row, query))
            {
                matches.Add(row);
            }
        }

        // Oldest first, id to break ties: a stable order, so paging on does not skip or repeat while sessions come and go.
        matches.Sort(static (a, b) =>
        {
            var byAge = a.StartedAt.CompareTo(b.StartedAt);
            return byAge != 0 ? byAge : string.CompareOrdinal(a.Id, b.Id);
        });
        var page = query.Offset >= matches.Count ? [] : matches.GetRange(query.Offset, Math.Min(query.Limit, matches.Count - query.Offset));
        return new SessionPage(matches.Count, query.Offset, query.Limit, page);
    }

    private static bool Matches(SessionRow row, SessionQuery query)
    {
        if (query.Backend is not null && row.BackendId != query.Backend)
        {
            return false;
        }

        return query.Text is not { } text
            || row.Id.Contains(text, StringComparison.OrdinalIgnoreCase)
            || row.Uri.Contains(text, StringComparison.OrdinalIgnoreCase)
            || row.BackendId.Contains(text, StringComparison.OrdinalIgnoreCase)
            || (row.RemoteAddress?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false);
    }
}
