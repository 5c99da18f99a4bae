using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Bogus;
using WsBalancer.IntegrationTests.Process;

namespace WsBalancer.IntegrationTests.Persistence;

/// <summary>One row of <c>GET /backend/list</c>, the fields these tests read.</summary>
internal sealed record ListedBackend(string Id, string Url, bool Enabled);

/// <summary>
/// A balancer process that printed its "listening" line, with an admin client. Disposing it kills the process (no
/// graceful stop: what a crash or <c>kill -9</c> does); <see cref="TerminateAsync"/> stops it gracefully instead.
/// </summary>
internal sealed class RunningBalancer : IAsyncDisposable
{
    private readonly Faker _faker = new();

    private readonly HttpClient _admin;
    private bool _disposed;

    public RunningBalancer(HostProcess process, Uri frontend, Uri admin)
    {
        Process = process;
        Frontend = frontend;
        _admin = new HttpClient { BaseAddress = admin, Timeout = Timeouts.Default };
    }

    public HostProcess Process { get; }

    public Uri Frontend { get; }

    public async Task<IReadOnlyList<ListedBackend>> ListAsync(CancellationToken cancellationToken)
    {
        var list = await _admin.GetFromJsonAsync<JsonElement>("/backend/list", cancellationToken);
        return [.. list.EnumerateArray().Select(row => new ListedBackend(
            row.GetProperty("id").GetString()!,
            row.GetProperty("url").GetString()!,
            row.GetProperty("enabled").GetBoolean()))];
    }

    public async Task<IReadOnlyList<string>> IdsAsync(CancellationToken cancellationToken) =>
        [.. (await ListAsync(cancellationToken)).Select(backend => backend.Id)];

    /// <summary><c>GET /backend/config/{id}</c>; fails the test unless the backend is known.</summary>
    public async Task<JsonElement> ConfigAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _admin.GetAsync($"/backend/config/{Uri.EscapeDataString(id)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/backend/config/{id}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<JsonElement>(body);
    }

    /// <summary>POSTs an admin action and fails the test unless it answers 200 with <c>"result":"success"</c>.</summary>
    public async Task PostSuccessAsync(string path, object? body, CancellationToken cancellationToken)
    {
        using var content = body is null ? null : JsonContent.Create(body);
        using var response = await _admin.PostAsync(path, content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("success", JsonSerializer.Deserialize<JsonElement>(text).GetProperty("result").GetString());
    }

    /// <summary>Adds a backend through the admin API with the ancestor's JSON shape.</summary>
    public Task AddAsync(string id, Uri url, CancellationToken cancellationToken, string? pingTime = null) =>
        PostSuccessAsync("/backend/add", new Dictionary<string, string?> { ["url"] = url.OriginalString, ["id"] = id, ["ping-time"] = pingTime }, cancellationToken);

    /// <summary>Opens <paramref name="count"/> sessions one after another, each echoing one message, then closes it.</summary>
    public async Task ServeSessionsAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            using var client = await ConnectAsync(cancellationToken);
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), cancellationToken);
            using var timeout = Timeouts.Linked(cancellationToken);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
    }

    public async Task<ClientWebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new ClientWebSocket();
        try
        {
            using var timeout = Timeouts.Linked(cancellationToken);
            await client.ConnectAsync(new Uri(Frontend, "/persist/" + _faker.Random.AlphaNumeric(8)), timeout.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends SIGTERM, as a service manager stopping the balancer would, and returns the exit code. The pid is that of
    /// the only child of this test process whose command line runs the balancer on <paramref name="dataDirectory"/>, so
    /// no other process can ever be signalled. (The pid in <c>wsbalancer.db.lock</c> cannot be read from .NET here: the
    /// balancer holds an exclusive flock on it, and .NET takes a shared one to read.)
    /// </summary>
    public async Task<int> TerminateAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var pid = Assert.Single(ChildBalancers(dataDirectory));
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]);
        using (var timeout = Timeouts.Linked(cancellationToken))
        {
            await kill.WaitForExitAsync(timeout.Token);
        }

        Assert.Equal(0, kill.ExitCode);
        return await Process.WaitForExitAsync(cancellationToken);
    }

    private static List<int> ChildBalancers(string dataDirectory)
    {
        var pids = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], NumberStyles.None, CultureInfo.InvariantCulture);
                var arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
                if (parent == Environment.ProcessId
                    && arguments.Any(argument => argument.EndsWith("WsBalancer.Host.dll", StringComparison.Ordinal))
                    && arguments.Contains(dataDirectory))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read, or is not ours to read: not our balancer either way.
            }
        }

        return pids;
    }

    /// <summary>Kills the process if it still runs. Idempotent, so a test may stop a balancer before its scope ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _admin.Dispose();
        await Process.DisposeAsync();
    }
}
