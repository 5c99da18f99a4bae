using System.Text.Json;

namespace WsBalancer.Browser.Tests.Support;

/// <summary>What the admin API says, read by the tests to check what the page did.</summary>
public static class AdminJson
{
    /// <summary>The row of <c>GET /backend/list</c> with this id, or null.</summary>
    public static async Task<JsonElement?> BackendAsync(this TestBalancer balancer, string id, CancellationToken cancellationToken)
    {
        foreach (var row in (await balancer.GetJsonAsync("/backend/list", cancellationToken)).EnumerateArray())
        {
            if (row.GetProperty("id").GetString() == id)
            {
                return row;
            }
        }

        return null;
    }

    /// <summary>Polls <c>/backend/list</c> until the backend's row satisfies <paramref name="condition"/> (null: it is gone).</summary>
    public static async Task WaitForBackendAsync(this TestBalancer balancer, string id, Func<JsonElement?, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (!condition(await balancer.BackendAsync(id, timeout.Token)))
        {
            await Task.Delay(25, timeout.Token); // the page's action has returned; the list is read again until it shows it, bounded
        }
    }
}
