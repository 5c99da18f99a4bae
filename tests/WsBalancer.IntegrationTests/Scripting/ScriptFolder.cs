using System.Text.Json;
using WsBalancer.Host.Scripting;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>A scripts folder of one test, and waits on <c>GET /script/list</c>. Deleted with it.</summary>
public sealed class ScriptFolder : IDisposable
{
    public ScriptFolder()
    {
        Directory = Path.Combine(Path.GetTempPath(), "wsbalancer-script-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>Settings for a test balancer on this folder, with the watch shortened.</summary>
    internal ScriptSettings Settings(ScriptSettings defaults) => defaults with
    {
        Directory = Directory,
        QuietPeriod = TimeSpan.FromMilliseconds(80),
        // A test run keeps both cores busy: a call's time limits are not what these tests are about (a script that
        // tests them sets @timeout), so they are generous here; statements, memory and recursion keep their defaults.
        // The regular-expression limit is wall time too (20 ms by default), so it gets the same allowance.
        Limits = defaults.Limits with { Timeout = TimeSpan.FromSeconds(2), RegexTimeout = TimeSpan.FromSeconds(1) },
        // So is the session budget (a hostile call charges its time to it): the budget test sets its own.
        SessionBudget = TimeSpan.FromMinutes(1),
        PollInterval = TimeSpan.FromMilliseconds(40),
    };

    public void Write(string name, string source) => File.WriteAllText(Path.Combine(Directory, name), source);

    public void Delete(string name) => File.Delete(Path.Combine(Directory, name));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The script's row in <c>/script/list</c>, or null.</summary>
    public static async Task<JsonElement?> FindAsync(TestBalancer balancer, string name, CancellationToken cancellationToken)
    {
        foreach (var row in (await balancer.GetJsonAsync("/script/list", cancellationToken)).EnumerateArray())
        {
            if (row.GetProperty("name").GetString() == name)
            {
                return row;
            }
        }

        return null;
    }

    public static async Task<JsonElement> WaitAsync(TestBalancer balancer, string name, Func<JsonElement, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            if (await FindAsync(balancer, name, timeout.Token) is { } row && condition(row))
            {
                return row;
            }

            await Task.Delay(20, timeout.Token); // no event for "the library changed": polled, bounded by the timeout
        }
    }

    /// <summary>Waits until the script's version (1 for the first load) is live.</summary>
    public static Task<JsonElement> WaitForVersionAsync(TestBalancer balancer, string name, int version, CancellationToken cancellationToken) =>
        WaitAsync(balancer, name, r => r.GetProperty("version").ValueKind == JsonValueKind.Number && r.GetProperty("version").GetInt32() == version, cancellationToken);
}
