namespace WsBalancer.Host.Configuration;

/// <summary>
/// The process command line: the ancestor's Go flags (<c>-config</c>, <c>-help</c>, also with two dashes), <c>--demo</c>,
/// <c>--data-dir</c>, <c>--plugins-dir</c>, and ASP.NET-style overrides <c>--section:key=value</c> or <c>--section:key value</c>.
/// </summary>
internal sealed record CommandLineArguments(string? ConfigPath, bool HelpRequested, bool Demo, ConfigurationLayer Overrides)
{
    public const string Expected = "one of --config, --data-dir, --plugins-dir, --scripts-dir, --demo, --help, or --section:key=value";
    public const string DataDirectoryFlag = "--data-dir";
    public const string PluginsDirectoryFlag = "--plugins-dir";
    public const string ScriptsDirectoryFlag = "--scripts-dir";

    public static CommandLineArguments Parse(IReadOnlyList<string> args)
    {
        // Help wins over anything else on the line, so that `wsbalancer --typo --help` still shows the usage.
        if (args.Any(IsHelp))
        {
            return new CommandLineArguments(null, HelpRequested: true, Demo: false, new ConfigurationLayer());
        }

        string? configPath = null;
        var demo = false;
        var overrides = new ConfigurationLayer();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var dashes = arg.StartsWith("--", StringComparison.Ordinal) ? 2 : arg.StartsWith('-') ? 1 : 0;
            var body = arg[dashes..];
            var equals = body.IndexOf('=');
            var name = equals < 0 ? body : body[..equals];
            var inlineValue = equals < 0 ? null : body[(equals + 1)..];
            switch (name)
            {
                case "config" when dashes > 0:
                    configPath = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(configPath))
                    {
                        throw new ConfigurationErrorException(YamlConfigFile.Flag, configPath, "the path of a YAML file after --config");
                    }

                    break;

                case "data-dir" when dashes > 0:
                    var dataDirectory = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(dataDirectory))
                    {
                        throw new ConfigurationErrorException(DataDirectoryFlag, dataDirectory, $"a directory path (or {ServerSettings.InMemoryDataDirectory}) after {DataDirectoryFlag}");
                    }

                    // A shorthand for --server:data-dir; whichever comes last on the line wins, and errors name the flag.
                    overrides.Set(ConfigKey.DataDirectory, dataDirectory, DataDirectoryFlag);
                    break;

                case "plugins-dir" when dashes > 0:
                    var pluginsDirectory = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(pluginsDirectory))
                    {
                        throw new ConfigurationErrorException(PluginsDirectoryFlag, pluginsDirectory, $"a directory path after {PluginsDirectoryFlag}");
                    }

                    overrides.Set(ConfigKey.PluginsDirectory, pluginsDirectory, PluginsDirectoryFlag);
                    break;

                case "scripts-dir" when dashes > 0:
                    var scriptsDirectory = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
                    if (string.IsNullOrWhiteSpace(scriptsDirectory))
                    {
                        throw new ConfigurationErrorException(ScriptsDirectoryFlag, scriptsDirectory, $"a directory path after {ScriptsDirectoryFlag}");
                    }

                    overrides.Set(ConfigKey.ScriptsDirectory, scriptsDirectory, ScriptsDirectoryFlag);
                    break;

                case "help" or "h" when dashes > 0:
                    break; // -help=false: IsHelp already handled every value that asks for help

                case "demo" when dashes > 0:
                    demo = inlineValue is null || ParseFlagValue(arg, inlineValue);
                    break;

                default:
                    if (dashes == 2 && name.Contains(':', StringComparison.Ordinal) && !name.StartsWith(':') && !name.EndsWith(':'))
                    {
                        var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : null)
                            ?? throw new ConfigurationErrorException(arg, null, $"a value after {arg}");
                        if (value.Length > 0)
                        {
                            overrides.Set(name, value);
                        }

                        break;
                    }

                    throw new ConfigurationErrorException(dashes > 0 ? $"{arg[..dashes]}{name}" : arg, null, Expected);
            }
        }

        return new CommandLineArguments(configPath, HelpRequested: false, demo, overrides);
    }

    // Go's flag package treats -h, -help and --help alike; a bool flag may also be written -help=true.
    private static bool IsHelp(string arg) =>
        arg is "-h" or "--h" or "-help" or "--help" or "-?" or "/?"
        || ((arg.StartsWith("-help=", StringComparison.Ordinal) || arg.StartsWith("--help=", StringComparison.Ordinal))
            && BooleanText.TryParse(arg[(arg.IndexOf('=') + 1)..], out var help) && help);

    private static bool ParseFlagValue(string arg, string text) =>
        BooleanText.TryParse(text, out var value) ? value : throw new ConfigurationErrorException(arg.Split('=')[0], text, BooleanText.Expected);
}
