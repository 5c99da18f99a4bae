using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WsBalancer.Sdk;

namespace WsBalancerPlugin.Tests;

/// <summary>What the balancer would hand the plugin: a name, a version and the settings of one test.</summary>
internal sealed class TestPluginContext(IReadOnlyDictionary<string, string> settings) : IPluginContext
{
    public string PluginName => "WsBalancerPlugin";

    public string PluginVersion => "1.0.0";

    public IReadOnlyDictionary<string, string> Settings { get; } = settings;

    public ILogger Logger => NullLogger.Instance;

    public string DataDirectory => Path.GetTempPath();
}
