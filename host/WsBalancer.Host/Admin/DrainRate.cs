using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace WsBalancer.Host.Admin;

/// <summary>The <c>rate</c> of <c>POST /backend/drain/{id}?rate=N</c>: sessions moved per second.</summary>
internal static class DrainRate
{
    /// <summary>The rate when the request gives none.</summary>
    public const double Default = 10;

    /// <summary>The highest rate: beyond it the drain would be a burst, which is what <c>/backend/failover</c> is for.</summary>
    public const double Max = 1000;

    /// <summary>The rate asked for, or null with <paramref name="error"/> saying why it is refused (a 400).</summary>
    public static double? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        var text = SessionQuery.Single(query, "rate", ref error);
        if (error is not null)
        {
            return null;
        }

        if (text is null)
        {
            return Default;
        }

        // Float only: no thousands separators or currency, and ±Infinity/NaN (1e999 parses as infinity) are refused below.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && double.IsFinite(rate) && rate > 0 && rate <= Max)
        {
            return rate;
        }

        error = $"rate '{text}' must be a number of sessions per second above 0 and at most {Max.ToString(CultureInfo.InvariantCulture)}";
        return null;
    }
}
