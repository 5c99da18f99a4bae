using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>A temporary base directory for one test, an environment of the test's own, and a way to load from both.</summary>
internal sealed class ConfigurationSandbox : IDisposable
{
    public ConfigurationSandbox()
    {
        BaseDirectory = Directory.CreateTempSubdirectory("wsb-config-tests-").FullName;
    }

    public string BaseDirectory { get; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes a file in the base directory and returns its name (relative to the base directory).</summary>
    public string WriteFile(string name, string content)
    {
        File.WriteAllText(Path.Combine(BaseDirectory, name), content);
        return name;
    }

    public string WriteYaml(string content) => WriteFile("balancer.yml", content);

    public BalancerSettings Load(params string[] args)
    {
        var result = BalancerConfiguration.Load(args, Environment, BaseDirectory);
        Assert.False(result.HelpRequested);
        return result.Settings;
    }

    /// <summary>Loads with a YAML file written from <paramref name="yaml"/>.</summary>
    public BalancerSettings LoadYaml(string yaml, params string[] moreArgs) => Load(["--config", WriteYaml(yaml), .. moreArgs]);

    /// <summary>Asserts that loading fails and that the message names the key and the bad value.</summary>
    public ConfigurationErrorException LoadFails(string expectedKey, string? expectedValue, params string[] args)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => BalancerConfiguration.Load(args, Environment, BaseDirectory));
        AssertNames(error, expectedKey, expectedValue);
        return error;
    }

    public ConfigurationErrorException LoadYamlFails(string yaml, string expectedKey, string? expectedValue) =>
        LoadFails(expectedKey, expectedValue, "--config", WriteYaml(yaml));

    public static void AssertNames(ConfigurationErrorException error, string expectedKey, string? expectedValue)
    {
        Assert.Equal(expectedKey, error.Key);
        Assert.Equal(expectedValue, error.Value);
        Assert.StartsWith($"invalid configuration: {expectedKey}=", error.Message, StringComparison.Ordinal);
        if (expectedValue is not null)
        {
            Assert.Contains($"'{expectedValue}'", error.Message, StringComparison.Ordinal);
        }

        Assert.Contains(": expected ", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(BaseDirectory, recursive: true);
}
