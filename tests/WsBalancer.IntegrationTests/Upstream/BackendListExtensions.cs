using System.Text.Json;

namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>Reads one backend's row of <c>GET /backend/list</c>.</summary>
internal static class BackendListExtensions
{
    public static async Task<BackendRow> BackendAsync(this TestBalancer balancer, string id, CancellationToken cancellationToken)
    {
        var list = await balancer.GetJsonAsync("/backend/list", cancellationToken);
        foreach (var row in list.EnumerateArray())
        {
            if (row.GetProperty("id").GetString() == id)
            {
                return BackendRow.From(row);
            }
        }

        throw new InvalidOperationException($"backend '{id}' is not in /backend/list: {list.GetRawText()}");
    }

    /// <summary>Waits until the backend's row satisfies <paramref name="condition"/>; returns that row.</summary>
    public static async Task<BackendRow> WaitForBackendAsync(this TestBalancer balancer, string id, Func<BackendRow, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            var row = await balancer.BackendAsync(id, timeout.Token);
            if (condition(row))
            {
                return row;
            }

            // The counters change when a backend leg finishes its close handshake in the background; the admin API
            // raises no event for that, so poll briefly, bounded by the timeout.
            await Task.Delay(10, timeout.Token);
        }
    }
}

/// <summary>One row of <c>/backend/list</c>, in the ancestor's field names.</summary>
internal sealed record BackendRow(string Id, long ActiveConnections, bool Enabled, bool Tripped, long TotalConnections, long TotalFailures, string BreakerState)
{
    public static BackendRow From(JsonElement row) => new(
        row.GetProperty("id").GetString()!,
        row.GetProperty("activeConnections").GetInt64(),
        row.GetProperty("enabled").GetBoolean(),
        row.GetProperty("tripped").GetBoolean(),
        row.GetProperty("totalConnections").GetInt64(),
        row.GetProperty("totalFailures").GetInt64(),
        row.GetProperty("breakerState").GetString()!);
}
