using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>What the host hands the types of one plugin version.</summary>
internal sealed class PluginContext(string pluginName, string pluginVersion, IReadOnlyDictionary<string, string> settings, ILogger logger, string dataDirectory)
    : IPluginContext
{
    public string PluginName { get; } = pluginName;

    public string PluginVersion { get; } = pluginVersion;

    public IReadOnlyDictionary<string, string> Settings { get; } = settings;

    public ILogger Logger { get; } = logger;

    public string DataDirectory { get; } = dataDirectory;
}
