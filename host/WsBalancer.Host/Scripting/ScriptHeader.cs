using System.Globalization;
using System.Text.RegularExpressions;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Scripting;

/// <summary>What a script does when a call throws or breaks a limit.</summary>
internal enum ScriptErrorAction
{
    /// <summary>Drop the message (the seed's rule for valve errors). The default.</summary>
    Drop,

    /// <summary>Let the message through unchanged.</summary>
    Pass,

    /// <summary>End the session (close 1011).</summary>
    Close,
}

/// <summary>
/// The header comments of a script: the <c>// @key value</c> lines before its first statement.
/// <c>@match</c> (a glob on the request path, several allowed), <c>@mode active|shadow</c>,
/// <c>@on-error drop|pass|close</c>, and limits: <c>@timeout</c>, <c>@max-statements</c>, <c>@max-memory</c>, <c>@max-message-size</c>,
/// <c>@max-recursion-depth</c>, <c>@regex-timeout</c>.
/// </summary>
internal sealed record ScriptHeader(IReadOnlyList<PathGlob> Match, bool Shadow, ScriptErrorAction OnError, ScriptLimits Limits)
{
    /// <summary>Reads the header; throws <see cref="ScriptHeaderException"/> naming the line of a bad one.</summary>
    public static ScriptHeader Parse(string source, ScriptLimits defaults)
    {
        var match = new List<PathGlob>();
        var shadow = false;
        var onError = ScriptErrorAction.Drop;
        var limits = defaults;
        var lines = source.Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (!line.StartsWith("//", StringComparison.Ordinal))
            {
                break; // the header ends at the first statement
            }

            var comment = line[2..].Trim();
            if (!comment.StartsWith('@'))
            {
                continue;
            }

            var space = comment.IndexOfAny([' ', '\t']);
            var key = space < 0 ? comment[1..] : comment[1..space];
            var value = space < 0 ? string.Empty : comment[(space + 1)..].Trim();
            ScriptHeaderException Bad(string expected) => new(number, $"@{key} '{value}': expected {expected}");
            switch (key)
            {
                case "match":
                    match.Add(PathGlob.TryCreate(value) ?? throw new ScriptHeaderException(number, $"@match '{value}': expected a path glob starting with '/', such as /ocpp/*"));
                    break;
                case "mode":
                    shadow = value switch { "active" => false, "shadow" => true, _ => throw Bad("active or shadow") };
                    break;
                case "on-error":
                    onError = value switch
                    {
                        "drop" => ScriptErrorAction.Drop,
                        "pass" => ScriptErrorAction.Pass,
                        "close" => ScriptErrorAction.Close,
                        _ => throw Bad("drop, pass or close"),
                    };
                    break;
                case "timeout":
                    limits = limits with { Timeout = Duration(value) ?? throw Bad("a duration from 1ms to 10s, such as 50ms") };
                    break;
                case "regex-timeout":
                    limits = limits with { RegexTimeout = Duration(value) ?? throw Bad("a duration from 1ms to 10s, such as 20ms") };
                    break;
                case "max-statements":
                    limits = limits with { MaxStatements = (int)(Number(value, 1, 100_000_000) ?? throw Bad("an integer from 1 to 100000000")) };
                    break;
                case "max-recursion-depth":
                    limits = limits with { MaxRecursionDepth = (int)(Number(value, 1, 1000) ?? throw Bad("an integer from 1 to 1000")) };
                    break;
                case "max-message-size":
                    limits = limits with { MaxMessageBytes = ByteSize.TryParse(value, out var size) && size is >= 1 and <= ScriptLimits.LargestMessageBytes ? (int)size : throw Bad("a size from 1B to 256MiB, such as 1MiB") };
                    break;
                case "max-memory":
                    limits = limits with { MaxMemoryBytes = ByteSize.TryParse(value, out var bytes) && bytes is >= 64 * 1024 and <= 256L * 1024 * 1024 ? bytes : throw Bad("a size from 64KiB to 256MiB, such as 8MiB") };
                    break;
                default:
                    throw new ScriptHeaderException(number, $"unknown header @{key} (known: @match, @mode, @on-error, @timeout, @max-statements, @max-memory, @max-recursion-depth, @regex-timeout, @max-message-size)");
            }
        }

        return new ScriptHeader(match, shadow, onError, limits);
    }

    /// <summary>True when the script applies to a session on <paramref name="path"/>: no @match, or one that matches.</summary>
    public bool Matches(string path)
    {
        if (Match.Count == 0)
        {
            return true;
        }

        foreach (var glob in Match)
        {
            if (glob.IsMatch(path))
            {
                return true;
            }
        }

        return false;
    }

    private static TimeSpan? Duration(string text) =>
        GoDuration.TryParse(text, out var value) && value >= TimeSpan.FromMilliseconds(1) && value <= TimeSpan.FromSeconds(10) ? value : null;

    private static long? Number(string text, long min, long max) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : null;
}

/// <summary>A bad header comment, with its line.</summary>
internal sealed class ScriptHeaderException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>A glob on a request path: <c>*</c> within one segment, <c>**</c> across segments, <c>?</c> one character.</summary>
internal sealed class PathGlob
{
    private readonly Regex _regex;

    private PathGlob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public static PathGlob? TryCreate(string pattern)
    {
        if (pattern.Length == 0 || pattern[0] != '/' || pattern.Any(char.IsWhiteSpace))
        {
            return null;
        }

        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                regex.Append(".*");
                i++;
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        regex.Append('$');
        return new PathGlob(pattern, new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, TimeSpan.FromMilliseconds(50)));
    }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    public override string ToString() => Pattern;
}
