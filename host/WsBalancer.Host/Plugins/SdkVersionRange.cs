namespace WsBalancer.Host.Plugins;

/// <summary>
/// A range of SDK versions in NuGet notation: <c>1.1</c> (at least 1.1), <c>[1.1,2.0)</c>, <c>(1.0,1.5]</c>, <c>[1.1]</c>
/// (exactly), <c>[1.0,)</c>.
/// </summary>
internal sealed record SdkVersionRange(Version? Min, bool MinInclusive, Version? Max, bool MaxInclusive)
{
    public static bool TryParse(string text, out SdkVersionRange range)
    {
        range = null!;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (text[0] is not ('[' or '('))
        {
            if (!TryVersion(text, out var min))
            {
                return false;
            }

            range = new SdkVersionRange(min, true, null, false);
            return true;
        }

        var last = text[^1];
        if (last is not (']' or ')') || text.Length < 3)
        {
            return false;
        }

        var body = text[1..^1];
        var comma = body.IndexOf(',');
        if (comma < 0)
        {
            if (text[0] != '[' || last != ']' || !TryVersion(body, out var exact))
            {
                return false;
            }

            range = new SdkVersionRange(exact, true, exact, true);
            return true;
        }

        var (lowText, highText) = (body[..comma].Trim(), body[(comma + 1)..].Trim());
        Version? low = null, high = null;
        if ((lowText.Length > 0 && !TryVersion(lowText, out low)) || (highText.Length > 0 && !TryVersion(highText, out high)))
        {
            return false;
        }

        if (low is null && high is null)
        {
            return false;
        }

        range = new SdkVersionRange(low, text[0] == '[', high, last == ']');
        return true;
    }

    public bool Contains(Version version)
    {
        var v = Normalize(version);
        if (Min is not null && (MinInclusive ? v < Min : v <= Min))
        {
            return false;
        }

        return Max is null || (MaxInclusive ? v <= Max : v < Max);
    }

    private static bool TryVersion(string text, out Version version)
    {
        if (Version.TryParse(text.Trim(), out var parsed))
        {
            version = Normalize(parsed);
            return true;
        }

        if (int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major))
        {
            version = new Version(major, 0, 0);
            return true;
        }

        version = null!;
        return false;
    }

    // 1.1 and 1.1.0.0 are the same version here: compare on three parts.
    private static Version Normalize(Version v) => new(v.Major, Math.Max(v.Minor, 0), Math.Max(v.Build, 0));
}
