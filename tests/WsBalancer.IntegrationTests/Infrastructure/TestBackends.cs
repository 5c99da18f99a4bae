using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>A set of test backends, for tests that run with 1, 2 or 4 of them and kill whichever serves the session.</summary>
public sealed class TestBackends : IAsyncDisposable, IEnumerable<TestBackend>
{
    private TestBackends(IReadOnlyList<TestBackend> all) => All = all;

    public IReadOnlyList<TestBackend> All { get; }

    public int TotalConnections => All.Sum(b => b.Connections.Count);

    public static async Task<TestBackends> StartAsync(int count, CancellationToken cancellationToken)
    {
        var all = new List<TestBackend>();
        for (var i = 1; i <= count; i++)
        {
            all.Add(await TestBackend.StartAsync($"b{i}", cancellationToken));
        }

        return new TestBackends(all);
    }

    /// <summary>Closes every connection open right now with <paramref name="code"/> (not the replacements it causes).</summary>
    public async Task CloseCurrentAsync(WebSocketCloseStatus code, string reason)
    {
        foreach (var connection in OpenNow())
        {
            await connection.CloseAsync(code, reason);
        }
    }

    /// <summary>Drops every connection open right now (not the replacements it causes).</summary>
    public void AbortCurrent()
    {
        foreach (var connection in OpenNow())
        {
            connection.Abort();
        }
    }

    private List<BackendConnection> OpenNow() => [.. All.SelectMany(b => b.OpenConnections)];

    /// <summary>Waits until the backends together have accepted <paramref name="count"/> connections.</summary>
    public async Task WaitForTotalConnectionsAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (TotalConnections < count)
        {
            await Task.Delay(5, timeout.Token); // accepted on any of several servers: polled, bounded by the timeout
        }
    }

    /// <summary>Every counter of every backend back to 0, and every connection the backends accepted ended.</summary>
    internal static async Task WaitForNoConnectionsAsync(TestBalancer balancer, IEnumerable<TestBackend> backends, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (true)
        {
            var counted = (await balancer.GetJsonAsync("/backend/list", timeout.Token)).EnumerateArray()
                .Where(b => b.GetProperty("activeConnections").GetInt64() != 0)
                .Select(b => $"{b.GetProperty("id").GetString()}={b.GetProperty("activeConnections").GetInt64()}")
                .ToList();
            var open = backends.Sum(b => b.OpenConnections.Count());
            if (counted.Count == 0 && open == 0)
            {
                return;
            }

            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"backend connections left: counted {string.Join(", ", counted)}; open on the backends {open}");
            }

            await Task.Delay(20, CancellationToken.None); // legs close in the background: polled, bounded by the timeout
        }
    }

    public IEnumerator<TestBackend> GetEnumerator() => All.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in All)
        {
            await backend.DisposeAsync();
        }
    }
}
