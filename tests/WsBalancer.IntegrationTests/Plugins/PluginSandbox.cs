using System.Text.Json;
using WsBalancer.Host.Plugins;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>
/// A plugins directory of one test, filled from the test plugins built with the solution (copied to
/// <c>test-plugins/&lt;Project&gt;/</c> of the test output). Deleted with the sandbox.
/// </summary>
public sealed class PluginSandbox : IDisposable
{
    private static readonly string Built = Path.Combine(AppContext.BaseDirectory, "test-plugins");

    public PluginSandbox()
    {
        Directory = Path.Combine(Path.GetTempPath(), "wsbalancer-plugin-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>Settings for a test balancer watching this sandbox, with the quiet period and poll shortened.</summary>
    internal PluginSettings Settings(PluginSettings defaults) => defaults with
    {
        Directory = Directory,
        QuietPeriod = TimeSpan.FromMilliseconds(100),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Puts the build of test plugin project <paramref name="project"/> into the folder <paramref name="name"/>.</summary>
    /// <remarks>
    /// The files are copied beside the plugins first (a dot folder, which the balancer skips) and then renamed into
    /// place: a copy file by file can pause longer than the shortened quiet period under load, and the balancer would
    /// then load a half-written folder (a valid outcome for it, but a version the test did not mean to install).
    /// </remarks>
    public string Install(string project, string name)
    {
        var source = Path.Combine(Built, project);
        Assert.True(System.IO.Directory.Exists(source), $"test plugin {project} was not built into {source}");
        var target = Path.Combine(Directory, name);
        var staging = Path.Combine(Directory, "." + Guid.NewGuid().ToString("N"));
        var files = System.IO.Directory.GetFiles(source, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(source, f)).ToList();
        foreach (var file in files)
        {
            var staged = Path.Combine(staging, file);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(staged)!);
            File.Copy(Path.Combine(source, file), staged);

            // A copy keeps the source's time stamp: make each install look like a new write, as a user's build would.
            File.SetLastWriteTimeUtc(staged, DateTime.UtcNow);
        }

        foreach (var file in files)
        {
            var destination = Path.Combine(target, file);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(Path.Combine(staging, file), destination, overwrite: true);
        }

        System.IO.Directory.Delete(staging, recursive: true);
        return target;
    }

    public void Remove(string name) => System.IO.Directory.Delete(Path.Combine(Directory, name), recursive: true);

    public string PathOf(string name, string file) => Path.Combine(Directory, name, file);

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
}

/// <summary>Reading <c>GET /plugin/list</c>, and waiting for it to show something.</summary>
internal static class PluginList
{
    public static async Task<JsonElement?> FindAsync(TestBalancer balancer, string name, CancellationToken cancellationToken)
    {
        var list = await balancer.GetJsonAsync("/plugin/list", cancellationToken);
        foreach (var plugin in list.EnumerateArray())
        {
            if (plugin.GetProperty("name").GetString() == name)
            {
                return plugin;
            }
        }

        return null;
    }

    /// <summary>Waits until the plugin's row satisfies <paramref name="condition"/> (null: the plugin is not listed).</summary>
    public static async Task<JsonElement?> WaitAsync(TestBalancer balancer, string name, Func<JsonElement?, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        JsonElement? row = null;
        try
        {
            while (true)
            {
                row = await FindAsync(balancer, name, timeout.Token);
                if (condition(row))
                {
                    return row;
                }

                await Task.Delay(20, timeout.Token); // no event for "the catalog changed": polled, bounded by the timeout
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Say where the plugin stood (status, error, versions still held), not just "a task was canceled".
            throw new TimeoutException($"plugin {name} did not reach the awaited state within {Timeouts.Default.TotalSeconds} s; last row: {row?.GetRawText() ?? "not listed"}");
        }
    }

    public static Task<JsonElement?> WaitForStatusAsync(TestBalancer balancer, string name, string status, CancellationToken cancellationToken, string? version = null) =>
        WaitAsync(balancer, name, row => row?.GetProperty("status").GetString() == status
            && (version is null || row?.GetProperty("version").GetString() == version), cancellationToken);
}
