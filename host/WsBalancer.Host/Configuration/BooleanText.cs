namespace WsBalancer.Host.Configuration;

/// <summary>Boolean settings: true/false, 1/0, yes/no, case-insensitive, plus Go's strconv.ParseBool forms t/f.</summary>
internal static class BooleanText
{
    public const string Expected = "a boolean: true, false, 1, 0, yes or no";

    public static bool TryParse(string? text, out bool value)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "t":
                value = true;
                return true;
            case "false" or "0" or "no" or "f":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
