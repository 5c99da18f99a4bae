using System.Text;

namespace WsBalancer.Host.Configuration;

/// <summary>The <c>--help</c> output: usage, flags, every setting with its environment variable and default, and precedence.</summary>
internal static class HelpText
{
    public static string Build()
    {
        var text = new StringBuilder();
        text.AppendLine("Usage: wsbalancer [--config FILE] [--data-dir DIR] [--plugins-dir DIR] [--scripts-dir DIR] [--demo] [--section:key=value ...]");
        text.AppendLine();
        text.AppendLine("A WebSocket reverse proxy that moves live sessions to another backend when one fails.");
        text.AppendLine();
        text.AppendLine("Flags:");
        AppendTable(text,
        [
            ["--config FILE", "YAML configuration file (also --config=FILE, -config FILE, -config=FILE);"],
            ["", "a relative path is resolved against the current directory"],
            ["--data-dir DIR", "directory of the backend database (also --data-dir=DIR, --server:data-dir=DIR);"],
            ["", $"relative to the current directory; {ServerSettings.InMemoryDataDirectory} keeps the backends in memory only"],
            ["--plugins-dir DIR", "directory watched for plugin folders, DIR/<Name>/<Name>.dll (also --server:plugins-dir=DIR)"],
            ["--scripts-dir DIR", "directory watched for script valves, DIR/*.js (also --server:scripts-dir=DIR)"],
            ["--demo", "start two in-process echo backends and balance over them"],
            ["--section:key=value", "override one setting, e.g. --server:frontend:address=:9000"],
            ["", "(also --section:key value)"],
            ["--help, -help, -h", "print this help and exit"],
        ]);
        text.AppendLine();
        text.AppendLine("Settings (YAML path, environment variable, default):");
        AppendTable(text,
            [["KEY", "ENV", "DEFAULT", "MEANING"], .. SettingCatalog.Server.Select(s => new[] { ConfigKey.ToDisplayPath(s.Key), s.EnvironmentVariable ?? "-", s.Default, s.Description })]);
        text.AppendLine();
        text.AppendLine("Backends: upstream.backends is a list; each item has:");
        AppendTable(text,
            [["KEY", "ENV", "DEFAULT", "MEANING"], .. SettingCatalog.Backend.Select(s => new[] { "  " + s.Key, s.EnvironmentVariable ?? "-", s.Default, s.Description })]);
        text.AppendLine();
        text.AppendLine("Plugins: plugins.<Name> configures the plugin in <plugins-dir>/<Name>/:");
        AppendTable(text,
            [["KEY", "ENV", "DEFAULT", "MEANING"], .. SettingCatalog.Plugin.Select(s => new[] { "  " + s.Key, s.EnvironmentVariable ?? "-", s.Default, s.Description })]);
        text.AppendLine();
        text.AppendLine("Values:");
        text.AppendLine("  durations   Go syntax: 500ms, 10s, 1m30s, 2h45m, 1.5s, 300us");
        text.AppendLine("  sizes       bytes: 1024, or with a unit: 512KiB, 8MiB, 1GiB (1024-based), 8MB (1000-based)");
        text.AppendLine("  booleans    true, false, 1, 0, yes, no");
        text.AppendLine("  lists       YAML/JSON lists; in an environment variable or a single value: comma separated");
        text.AppendLine();
        text.AppendLine("Backend environment variables act on every backend, as in the original wsbalancer:");
        text.AppendLine("  BE_URLS (with BE_URL_IDS) appends backends; BE_PING_TIME, BE_HANDSHAKE_TIMEOUT, BE_BREAKER_THRESHOLD,");
        text.AppendLine("  BE_RB_SIZE, BE_WB_SIZE and BE_ABNORMAL_CLOSE_CODES overwrite that setting of every backend when set and");
        text.AppendLine("  not zero; BE_PASS_HEADERS is appended to every backend's pass-headers. An empty variable is not set.");
        text.AppendLine();
        text.AppendLine("ASP.NET-style configuration uses the same names, ':' between levels, list items numbered from 0:");
        text.AppendLine("  appsettings.json   { \"server\": { \"frontend\": { \"address\": \":9000\" } } }");
        text.AppendLine($"  environment        {PrefixedEnvironment.Prefix}server__frontend__address=:9000   {PrefixedEnvironment.Prefix}upstream__backends__0__url=ws://host:9090");
        text.AppendLine("                     ('__' separates levels)");
        text.AppendLine("  command line       --server:frontend:address=:9000   --upstream:backends:0:url=ws://host:9090");
        text.AppendLine();
        text.AppendLine("Precedence, lowest to highest:");
        text.AppendLine($"  defaults < {AppSettingsFile.FileName} < YAML file (--config) < {PrefixedEnvironment.Prefix}* variables");
        text.AppendLine("  < ancestor variables (FE_*, ADM_*, BE_*, ...) and DATA_DIR < --section:key=value and --data-dir");
        text.AppendLine("A list (block-headers, pass-headers, abnormal-close-codes) set by a higher source replaces the lower one");
        text.AppendLine("whole; backends merge item by item, so a higher source can change one field of backend 0.");
        return text.ToString();
    }

    private static void AppendTable(StringBuilder text, IReadOnlyList<string[]> rows)
    {
        var columns = rows.Max(row => row.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(row => c < row.Length ? row[c].Length : 0)).ToArray();
        foreach (var row in rows)
        {
            var line = new StringBuilder("  ");
            for (var c = 0; c < row.Length; c++)
            {
                line.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
            }

            text.AppendLine(line.ToString().TrimEnd());
        }
    }
}
