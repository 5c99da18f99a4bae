namespace WsBalancer.Host.Configuration;

/// <summary>A configuration value that cannot be used. The process prints <see cref="Exception.Message"/> as one line and exits with code 2.</summary>
internal sealed class ConfigurationErrorException(string key, string? value, string expected)
    : Exception($"invalid configuration: {key}={(value is null ? "<missing>" : $"'{value}'")}: expected {expected}")
{
    /// <summary>The key as the user wrote it: a YAML path (<c>server.frontend.address</c>), an env variable (<c>FE_ADDR</c>) or a flag.</summary>
    public string Key { get; } = key;

    public string? Value { get; } = value;

    public string Expected { get; } = expected;
}
