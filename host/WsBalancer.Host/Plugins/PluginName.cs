namespace WsBalancer.Host.Plugins;

/// <summary>Plugin names are folder names, config keys and URL segments at once, so they are kept to a safe alphabet.</summary>
internal static class PluginName
{
    public const string Expected = "letters, digits, '.', '-' and '_', starting with a letter or digit, at most 64 characters";

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
        && !name.Equals("order", StringComparison.OrdinalIgnoreCase);
}
