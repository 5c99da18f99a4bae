using System.Globalization;
using System.Text;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// Configuration keys in <see cref="Microsoft.Extensions.Configuration.IConfiguration"/> form: the YAML names joined with
/// ':' and list items as numeric segments (<c>upstream:backends:0:url</c>).
/// </summary>
internal static class ConfigKey
{
    public const string Backends = "upstream:backends";
    public const string BlockHeaders = "server:block-headers";
    public const string PassHeaders = "pass-headers";
    public const string AbnormalCloseCodes = "abnormal-close-codes";
    public const string FrontendMaxSessions = "server:frontend:max-sessions";
    public const string FrontendMaxSessionsPerAddress = "server:frontend:max-sessions-per-address";
    public const string DrainTimeout = "server:drain-timeout";
    public const string IdleTimeout = "server:idle-timeout";
    public const string StallTimeout = "server:stall-timeout";
    public const string BufferBudget = "server:buffer-budget";
    public const string FrontendTls = "server:frontend:tls";
    public const string AdminTls = "server:admin:tls";
    public const string TlsCertificateFile = "cert-file";
    public const string TlsKeyFile = "key-file";
    public const string TlsPfxFile = "pfx-file";
    public const string TlsPfxPassword = "pfx-password";
    public const string BackendCaFile = "upstream:tls:ca-file";
    public const string DataDirectory = "server:data-dir";
    public const string AdminToken = "server:admin:token";
    public const string AdminReadToken = "server:admin:read-token";
    public const string AdminAuthFailureLimit = "server:admin:auth-failure-limit";
    public const string AdminAuthFailureWindow = "server:admin:auth-failure-window";
    public const string AdminAuthFailureAddresses = "server:admin:auth-failure-addresses";
    public const string PluginsDirectory = "server:plugins-dir";
    public const string Dialer = "upstream:dialer";
    public const string Plugins = "plugins";
    public const string PluginOrder = "plugins:order";
    public const string ScriptsDirectory = "server:scripts-dir";

    /// <summary>Lower-cases the key and maps the ancestor's misspelled <c>wite-timeout</c> to <c>write-timeout</c>.</summary>
    public static string Normalize(string key, out bool wasAlias)
    {
        var normalized = key.Trim().ToLowerInvariant();
        var segments = normalized.Split(':');
        wasAlias = segments is ["server", "frontend" or "admin", "wite-timeout"];
        return wasAlias ? $"server:{segments[1]}:write-timeout" : normalized;
    }

    /// <summary>The user-facing YAML path of a key: <c>upstream:backends:1:ping-time</c> → <c>upstream.backends[1].ping-time</c>.</summary>
    public static string ToDisplayPath(string key)
    {
        var builder = new StringBuilder(key.Length + 4);
        foreach (var segment in key.Split(':'))
        {
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                builder.Append('[').Append(segment).Append(']');
            }
            else
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }

                builder.Append(segment);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// The list of plain values (block-headers, pass-headers, abnormal-close-codes) that contains the key, or null.
    /// Such lists are replaced as a whole by a higher layer; see <see cref="LayeredValues.Apply"/>.
    /// </summary>
    public static string? ValueListRoot(string key)
    {
        var segments = key.Split(':');
        if (segments.Length >= 2 && segments[0] == "server" && segments[1] == "block-headers")
        {
            return BlockHeaders;
        }

        if (segments.Length >= 2 && segments[0] == "plugins" && segments[1] == "order")
        {
            return PluginOrder;
        }

        if (segments.Length >= 4 && segments[0] == "upstream" && segments[1] == "backends"
            && segments[3] is PassHeaders or AbnormalCloseCodes)
        {
            return string.Join(':', segments[..4]);
        }

        return null;
    }

    public static string Backend(string index, string name) => $"{Backends}:{index}:{name}";

    public static string Item(string listKey, int index) => $"{listKey}:{index.ToString(CultureInfo.InvariantCulture)}";
}
