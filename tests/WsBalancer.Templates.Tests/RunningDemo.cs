using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WsBalancer.Templates.Tests;

/// <summary>
/// The balancer as a newcomer starts it, <c>--demo</c>, built by this solution, as a child process on loopback ports
/// chosen by the system, watching a plugins folder of the test's. Killed with its process tree on dispose.
/// </summary>
internal sealed partial class RunningDemo : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<(Uri Frontend, Uri Admin)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _output = new();

    private RunningDemo(Process process) => _process = process;

    public Uri Frontend { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public static async Task<RunningDemo> StartAsync(string pluginsDirectory, CancellationToken cancellationToken)
    {
        var host = Path.Combine(RepositoryRoot.Find(), "host", "WsBalancer.Host", "bin", BuildConfiguration(), "net10.0", "WsBalancer.Host.dll");
        Assert.True(File.Exists(host), $"the host was not built: no {host}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(pluginsDirectory)!,
        };
        foreach (var argument in new[] { host, "--demo", "--plugins-dir", pluginsDirectory, "--server:frontend:address=127.0.0.1:0", "--server:admin:address=127.0.0.1:0" })
        {
            info.ArgumentList.Add(argument);
        }

        var demo = new RunningDemo(new Process { StartInfo = info });
        demo._process.OutputDataReceived += (_, e) => demo.OnLine(e.Data);
        demo._process.ErrorDataReceived += (_, e) => demo.OnLine(e.Data);
        demo._process.Start();
        demo._process.BeginOutputReadLine();
        demo._process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeouts.Template);
        var (frontend, admin) = await demo._listening.Task.WaitAsync(deadline.Token);
        demo.Frontend = frontend;
        demo.Admin = new HttpClient { BaseAddress = admin, Timeout = Timeouts.Template };
        return demo;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task<ClientWebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new ClientWebSocket();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeouts.Template);
        await client.ConnectAsync(new Uri(Frontend, "/chat"), deadline.Token);
        return client;
    }

    /// <summary>Sends one text message and returns the reply.</summary>
    public static async Task<string> AskAsync(ClientWebSocket client, string text, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeouts.Template);
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, deadline.Token);
        var buffer = new byte[4096];
        var received = await client.ReceiveAsync(buffer, deadline.Token);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    /// <summary>Waits until the plugin's row in <c>/plugin/list</c> satisfies <paramref name="condition"/>; returns it.</summary>
    public async Task<JsonElement> WaitForPluginAsync(string name, Func<JsonElement, bool> condition, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeouts.Template);
        while (true)
        {
            using var list = JsonDocument.Parse(await Admin.GetStringAsync("/plugin/list", deadline.Token));
            foreach (var row in list.RootElement.EnumerateArray())
            {
                if (row.GetProperty("name").GetString() == name && condition(row))
                {
                    return row.Clone();
                }
            }

            await Task.Delay(50, deadline.Token); // no event for "the plugin loaded": polled, bounded by the deadline
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult((new Uri(match.Groups["frontend"].Value), new Uri(match.Groups["admin"].Value)));
        }
    }

    private static string BuildConfiguration() =>
        typeof(RunningDemo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BuildConfiguration").Value!;

    [GeneratedRegex(@"listening: frontend (?<frontend>\S+) admin (?<admin>\S+)")]
    private static partial Regex Listening();

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(reaped.Token);
        _process.Dispose();
    }
}
