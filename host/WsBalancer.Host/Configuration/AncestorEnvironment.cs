using System.Globalization;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// The ancestor's environment variables (FE_ADDR, ADM_ADDR, BE_URLS, …) with the ancestor's semantics. An empty value is not set.
/// </summary>
internal static class AncestorEnvironment
{
    public const string BackendUrls = "BE_URLS";
    public const string BackendIds = "BE_URL_IDS";
    public const string PingTime = "BE_PING_TIME";
    public const string HandshakeTimeout = "BE_HANDSHAKE_TIMEOUT";
    public const string ReadBufferSize = "BE_RB_SIZE";
    public const string WriteBufferSize = "BE_WB_SIZE";
    public const string BreakerThreshold = "BE_BREAKER_THRESHOLD";
    public const string PassHeaders = "BE_PASS_HEADERS";
    public const string AbnormalCloseCodes = "BE_ABNORMAL_CLOSE_CODES";

    /// <summary>Applies the variables on top of <paramref name="values"/>, which must already hold every lower layer.</summary>
    public static void Apply(IReadOnlyDictionary<string, string> environment, LayeredValues values)
    {
        values.Apply(ServerLayer(environment));
        AppendBackends(environment, values);
        OverwriteEveryBackend(environment, values);
    }

    private static ConfigurationLayer ServerLayer(IReadOnlyDictionary<string, string> environment)
    {
        var layer = new ConfigurationLayer();
        foreach (var setting in SettingCatalog.Server)
        {
            if (setting.EnvironmentVariable is not { } name || Get(environment, name) is not { } value)
            {
                continue;
            }

            if (setting.Key == ConfigKey.BlockHeaders)
            {
                // The whole list is replaced, never merged with the file's; a value of only commas clears it.
                var items = LayeredValues.SplitCommaList(value);
                layer.Set(setting.Key, "", name);
                for (var i = 0; i < items.Count; i++)
                {
                    layer.Set(ConfigKey.Item(setting.Key, i), items[i], name);
                }
            }
            else
            {
                layer.Set(setting.Key, value, name);
            }
        }

        return layer;
    }

    // BE_URLS adds backends after those of every lower layer; BE_URL_IDS, when set, names each of them.
    private static void AppendBackends(IReadOnlyDictionary<string, string> environment, LayeredValues values)
    {
        var urls = Get(environment, BackendUrls) is { } urlText ? LayeredValues.SplitCommaList(urlText) : [];
        var idText = Get(environment, BackendIds);
        var ids = idText is null ? null : LayeredValues.SplitCommaList(idText);
        if (ids is not null && ids.Count != urls.Count)
        {
            throw new ConfigurationErrorException(BackendIds, idText,
                $"one id for each of the {urls.Count.ToString(CultureInfo.InvariantCulture)} {BackendUrls} entries, comma separated");
        }

        var next = values.BackendIndexes()
            .Select(index => int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : -1)
            .DefaultIfEmpty(-1)
            .Max() + 1;
        for (var i = 0; i < urls.Count; i++)
        {
            var index = (next + i).ToString(CultureInfo.InvariantCulture);
            values.Set(ConfigKey.Backend(index, "url"), urls[i], BackendUrls);
            if (ids is not null)
            {
                values.Set(ConfigKey.Backend(index, "id"), ids[i], BackendIds);
            }
        }
    }

    // Like the ancestor, these overwrite (or for pass-headers extend) every backend, wherever it was defined; a zero value is not set.
    private static void OverwriteEveryBackend(IReadOnlyDictionary<string, string> environment, LayeredValues values)
    {
        var overwrites = new List<(string Name, string Setting, string Value)>();
        AddIfNonZero(overwrites, environment, PingTime, "ping-time", IsNonZeroDuration);
        AddIfNonZero(overwrites, environment, HandshakeTimeout, "handshake-timeout", IsNonZeroDuration);
        AddIfNonZero(overwrites, environment, ReadBufferSize, "read-buffer-size", IsNonZeroSize);
        AddIfNonZero(overwrites, environment, WriteBufferSize, "write-buffer-size", IsNonZeroSize);
        AddIfNonZero(overwrites, environment, BreakerThreshold, "breaker-threshold", IsNonZeroInteger);

        var passHeaders = Get(environment, PassHeaders) is { } headerText ? LayeredValues.SplitCommaList(headerText) : [];
        var closeCodes = Get(environment, AbnormalCloseCodes) is { } codeText ? LayeredValues.SplitCommaList(codeText) : [];

        foreach (var index in values.BackendIndexes())
        {
            foreach (var (name, setting, value) in overwrites)
            {
                values.Set(ConfigKey.Backend(index, setting), value, name);
            }

            if (passHeaders.Count > 0)
            {
                var key = ConfigKey.Backend(index, ConfigKey.PassHeaders);
                values.SetList(key, values.GetList(key).Concat(passHeaders.Select(header => new ConfigurationEntry(header, PassHeaders))));
            }

            if (closeCodes.Count > 0)
            {
                values.SetList(ConfigKey.Backend(index, ConfigKey.AbnormalCloseCodes), closeCodes.Select(code => new ConfigurationEntry(code, AbnormalCloseCodes)));
            }
        }
    }

    private static void AddIfNonZero(
        List<(string Name, string Setting, string Value)> overwrites,
        IReadOnlyDictionary<string, string> environment,
        string name,
        string setting,
        Func<string, string, bool> isNonZero)
    {
        if (Get(environment, name) is { } value && isNonZero(name, value))
        {
            overwrites.Add((name, setting, value));
        }
    }

    private static bool IsNonZeroDuration(string name, string value) =>
        GoDuration.TryParse(value, out var duration)
            ? duration != TimeSpan.Zero
            : throw new ConfigurationErrorException(name, value, "a Go duration such as 10s or 1m30s");

    private static bool IsNonZeroSize(string name, string value) =>
        ByteSize.TryParse(value, out var bytes)
            ? bytes != 0
            : throw new ConfigurationErrorException(name, value, "a size in bytes such as 1024");

    private static bool IsNonZeroInteger(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number)
            ? number != 0
            : throw new ConfigurationErrorException(name, value, "an integer");

    private static string? Get(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
