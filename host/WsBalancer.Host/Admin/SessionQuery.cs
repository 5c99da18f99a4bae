using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace WsBalancer.Host.Admin;

/// <summary>
/// The parameters of a paged <c>GET /session/list?q=&amp;backend=&amp;offset=&amp;limit=</c>. Without any of them the
/// endpoint answers the ancestor's plain array.
/// </summary>
/// <param name="Text">Matches an exact session id, or a case-insensitive part of the id, uri, backend id or remote address.</param>
/// <param name="Backend">Only sessions on this backend (exact id).</param>
internal sealed record SessionQuery(string? Text, string? Backend, int Offset, int Limit)
{
    public const int DefaultLimit = 50;

    /// <summary>Largest page: a bigger one is refused, so one request cannot make the listener serialize every session.</summary>
    public const int MaxLimit = 500;

    private static readonly string[] Parameters = ["q", "backend", "offset", "limit"];

    /// <summary>True when the request names any paging or filter parameter, so it gets a page instead of the plain array.</summary>
    public static bool IsRequested(IQueryCollection query) => Parameters.Any(query.ContainsKey);

    /// <summary>Reads the parameters; <paramref name="error"/> says what is wrong with them, for a 400.</summary>
    public static SessionQuery? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        var offset = 0;
        var limit = DefaultLimit;
        if (Single(query, "offset", ref error) is { } offsetText && !TryNumber(offsetText, 0, int.MaxValue, out offset))
        {
            error = $"offset '{offsetText}' must be a whole number from 0";
        }

        if (Single(query, "limit", ref error) is { } limitText && !TryNumber(limitText, 1, MaxLimit, out limit))
        {
            error ??= $"limit '{limitText}' must be a whole number from 1 to {MaxLimit.ToString(CultureInfo.InvariantCulture)}";
        }

        var text = Single(query, "q", ref error);
        var backend = Single(query, "backend", ref error);
        return error is null ? new SessionQuery(Blank(text), Blank(backend), offset, limit) : null;
    }

    /// <summary>The one value of <paramref name="name"/>; null when absent, or (with <paramref name="error"/> set) when given twice.</summary>
    internal static string? Single(IQueryCollection query, string name, ref string? error)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count > 1)
        {
            error ??= $"{name} given {values.Count.ToString(CultureInfo.InvariantCulture)} times; give it once";
            return null;
        }

        return values.ToString();
    }

    private static bool TryNumber(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
