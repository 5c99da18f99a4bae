using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using WsBalancer.IntegrationTests.Process;

namespace WsBalancer.IntegrationTests.Persistence;

/// <summary>A backend as the YAML file names it; unset settings are left out of the file (the host's defaults apply).</summary>
internal sealed record ConfiguredBackend(string Id, Uri Url)
{
    public string? PingTime { get; init; }

    public string? HandshakeTimeout { get; init; }

    public int? BreakerThreshold { get; init; }
}

/// <summary>
/// One test's temp directory: a data directory for <c>wsbalancer.db</c> and a YAML config file, started against by as
/// many balancer processes in a row as the test needs. Deleted, with everything in it, on dispose.
/// </summary>
internal sealed class PersistenceSandbox : IDisposable
{
    public const string DatabaseFileName = "wsbalancer.db";

    private static readonly string[] LoopbackPorts = ["--server:frontend:address=127.0.0.1:0", "--server:admin:address=127.0.0.1:0"];

    public PersistenceSandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "wsb-persist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Not created here: the balancer creates it when it first opens the database.</summary>
    public string DataDirectory => Path.Combine(Root, "data");

    public string DatabasePath => Path.Combine(DataDirectory, DatabaseFileName);

    public string ConfigPath => Path.Combine(Root, "balancer.yml");

    /// <summary>Writes (or rewrites) the YAML file naming exactly <paramref name="backends"/>.</summary>
    public void WriteConfig(params IEnumerable<ConfiguredBackend> backends)
    {
        var yaml = new StringBuilder("upstream:\n  backends:\n");
        foreach (var backend in backends)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"    - id: {backend.Id}\n");
            yaml.Append(CultureInfo.InvariantCulture, $"      url: {backend.Url.OriginalString}\n");
            if (backend.PingTime is { } pingTime)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"      ping-time: {pingTime}\n");
            }

            if (backend.HandshakeTimeout is { } handshakeTimeout)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"      handshake-timeout: {handshakeTimeout}\n");
            }

            if (backend.BreakerThreshold is { } threshold)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"      breaker-threshold: {threshold}\n");
            }
        }

        File.WriteAllText(ConfigPath, yaml.ToString());
    }

    /// <summary>
    /// Starts the balancer on loopback port 0 with <c>--config</c> and, unless <paramref name="dataDirectory"/> says
    /// otherwise, <c>--data-dir</c> this sandbox's data directory. Empty <paramref name="dataDirectory"/>: no flag.
    /// </summary>
    public HostProcess Start(string? dataDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        List<string> arguments = ["--config", ConfigPath, .. LoopbackPorts];
        dataDirectory ??= DataDirectory;
        if (dataDirectory.Length > 0)
        {
            arguments.AddRange(["--data-dir", dataDirectory]);
        }

        return HostProcess.Start(arguments, environment);
    }

    /// <summary>As <see cref="Start"/>, then waits until the balancer listens.</summary>
    public async Task<RunningBalancer> StartAsync(CancellationToken cancellationToken, string? dataDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = Start(dataDirectory, environment);
        try
        {
            var (frontend, admin) = await process.WaitForListeningAsync(cancellationToken);
            return new RunningBalancer(process, frontend, admin);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
