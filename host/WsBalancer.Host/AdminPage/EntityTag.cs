using System.Security.Cryptography;

namespace WsBalancer.Host.AdminPage;

/// <summary>Strong entity tags for the page's files, and the <c>If-None-Match</c> test that turns a repeat load into a 304.</summary>
internal static class EntityTag
{
    /// <summary>A quoted tag derived from the content, so it changes exactly when the file does (a new host build).</summary>
    public static string Of(ReadOnlySpan<byte> content)
    {
        var hash = SHA256.HashData(content);
        return $"\"{Convert.ToHexStringLower(hash.AsSpan(0, 16))}\"";
    }

    /// <summary>
    /// True when an <c>If-None-Match</c> header names <paramref name="tag"/> (RFC 9110 13.1.2: weak comparison, a list of
    /// tags, or <c>*</c>).
    /// </summary>
    public static bool Matches(string? ifNoneMatch, string tag)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch))
        {
            return false;
        }

        foreach (var item in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == "*")
            {
                return true;
            }

            var candidate = item.StartsWith("W/", StringComparison.Ordinal) ? item[2..] : item;
            if (string.Equals(candidate, tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
