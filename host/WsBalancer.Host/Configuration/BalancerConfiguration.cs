using System.Collections;

namespace WsBalancer.Host.Configuration;

/// <summary>The outcome of reading the configuration.</summary>
/// <param name="Settings">The validated settings; the defaults when help was requested.</param>
/// <param name="HelpRequested">True with <c>--help</c>, <c>-help</c> or <c>-h</c>: print <see cref="HelpText.Build"/> and exit.</param>
internal sealed record ConfigurationLoadResult(BalancerSettings Settings, bool HelpRequested);

/// <summary>
/// Loads the configuration from every source, lowest to highest precedence: built-in defaults, appsettings.json,
/// the YAML file (<c>--config</c>), <c>WSB__</c> variables, the ancestor's variables (FE_ADDR, BE_URLS, …), and
/// <c>--section:key=value</c> arguments.
/// </summary>
internal static class BalancerConfiguration
{
    /// <param name="args">The process command line.</param>
    /// <param name="environment">The process environment (tests pass their own).</param>
    /// <param name="baseDirectory">
    /// Where appsettings.json is looked up and a relative <c>--config</c> or <c>server.data-dir</c> path is resolved.
    /// </param>
    /// <exception cref="ConfigurationErrorException">A value is missing or bad; the message names its key, value and what is expected.</exception>
    public static ConfigurationLoadResult Load(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrEmpty(baseDirectory);

        var commandLine = CommandLineArguments.Parse(args);
        if (commandLine.HelpRequested)
        {
            return new ConfigurationLoadResult(new BalancerSettings(), HelpRequested: true);
        }

        var values = new LayeredValues();
        values.Apply(AppSettingsFile.Load(baseDirectory));
        if (commandLine.ConfigPath is { } configPath)
        {
            values.Apply(YamlConfigFile.Load(Path.GetFullPath(configPath, baseDirectory)));
        }

        values.Apply(PrefixedEnvironment.Read(environment));

        // The BE_* rules act on the backends of every lower layer, so they run after those are merged.
        AncestorEnvironment.Apply(environment, values);
        values.Apply(commandLine.Overrides);

        var settings = SettingsReader.Read(values, baseDirectory) with { Demo = commandLine.Demo };
        return new ConfigurationLoadResult(settings, HelpRequested: false);
    }

    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        // Windows variable names are case-insensitive; elsewhere FE_ADDR and fe_addr are different variables.
        var environment = new Dictionary<string, string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                environment[name] = value;
            }
        }

        return environment;
    }
}
