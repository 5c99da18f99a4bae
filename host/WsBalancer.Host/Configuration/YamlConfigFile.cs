using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// Reads the ancestor's YAML file (<c>--config</c>) into a <see cref="ConfigurationLayer"/>. Unknown keys are kept but
/// never read, so they are ignored as the ancestor's cleanenv ignored them.
/// </summary>
internal static partial class YamlConfigFile
{
    public const string Flag = "--config";

    public static ConfigurationLayer Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : ex.Message;
            throw new ConfigurationErrorException(Flag, path, $"a readable YAML file ({reason})");
        }

        return Parse(text, path);
    }

    /// <param name="path">Only for error messages.</param>
    public static ConfigurationLayer Parse(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new ConfigurationErrorException(Flag, path,
                $"valid YAML (line {ex.Start.Line.ToString(CultureInfo.InvariantCulture)}, column {ex.Start.Column.ToString(CultureInfo.InvariantCulture)}: {Reason(ex)})");
        }

        var layer = new ConfigurationLayer();
        if (stream.Documents.Count == 0)
        {
            return layer;
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Style: ScalarStyle.Plain } scalar && IsNull(scalar))
        {
            return layer; // a file of comments only
        }

        if (root is not YamlMappingNode)
        {
            throw new ConfigurationErrorException(Flag, path,
                $"a YAML mapping with server: and upstream: sections (line {root.Start.Line.ToString(CultureInfo.InvariantCulture)} holds a {root.NodeType.ToString().ToLowerInvariant()})");
        }

        Flatten(root, "", "", layer);
        return layer;
    }

    private static void Flatten(YamlNode node, string key, string displayPath, ConfigurationLayer layer)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                if (mapping.Children.Count == 0 && key.Length > 0)
                {
                    layer.Set(key, "", displayPath); // `block-headers: {}` still replaces a lower layer's list
                }

                foreach (var (name, child) in mapping.Children)
                {
                    // Complex keys cannot name a setting; like any unknown key they are ignored.
                    if (name is YamlScalarNode { Value: { Length: > 0 } text })
                    {
                        Flatten(child, key.Length == 0 ? text : $"{key}:{text}", displayPath.Length == 0 ? text : $"{displayPath}.{text}", layer);
                    }
                }

                break;

            case YamlSequenceNode sequence:
                if (sequence.Children.Count == 0)
                {
                    layer.Set(key, "", displayPath); // `block-headers: []` replaces a lower layer's list with an empty one
                }

                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var index = i.ToString(CultureInfo.InvariantCulture);
                    Flatten(sequence.Children[i], $"{key}:{index}", $"{displayPath}[{index}]", layer);
                }

                break;

            case YamlScalarNode scalar:
                // A null or empty value means "not set" here, so `address:` does not wipe out appsettings.json's value.
                if (!IsNull(scalar) && scalar.Value is { Length: > 0 } value)
                {
                    layer.Set(key, value, displayPath);
                }

                break;
        }
    }

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; the position is reported separately.
    private static string Reason(YamlException ex) => PositionPrefix().Replace(ex.Message, "").Trim();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex PositionPrefix();
}
