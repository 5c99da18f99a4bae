using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WsBalancer.IntegrationTests.Process;

/// <summary>The balancer as a child process (the built WsBalancer.Host.dll next to the tests), killed on dispose.</summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource<(Uri Frontend, Uri Admin)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _lineWaiters = [];

    private HostProcess(System.Diagnostics.Process process) => _process = process;

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    public static HostProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "WsBalancer.Host.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The child must not inherit settings meant for the test run itself.
        foreach (var name in new[] { "FE_ADDR", "ADM_ADDR", "BE_URLS", "BE_URL_IDS", "LOG_LEVEL" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new System.Diagnostics.Process { StartInfo = info };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => host.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (host._stderr)
                {
                    host._stderr.Add(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>) to this child, as a service manager stopping it would.</summary>
    public async Task SignalAsync(string signal, CancellationToken cancellationToken)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using (var timeout = Timeouts.Linked(cancellationToken))
        {
            await kill.WaitForExitAsync(timeout.Token);
        }

        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Completes with the first standard output line that matches, one already printed included (bounded).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stdout)
        {
            if (_stdout.FirstOrDefault(match) is { } line)
            {
                return Task.FromResult(line);
            }

            _lineWaiters.Add((match, seen));
        }

        return seen.Task.WaitAsync(Timeouts.Default, cancellationToken);
    }

    /// <summary>Waits for the "listening" line and returns the frontend and admin addresses it names.</summary>
    public Task<(Uri Frontend, Uri Admin)> WaitForListeningAsync(CancellationToken cancellationToken) =>
        _listening.Task.WaitAsync(Timeouts.Default, cancellationToken);

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _listening.TrySetException(new InvalidOperationException("The balancer exited before it listened."));
            return;
        }

        lock (_stdout)
        {
            _stdout.Add(line);
            foreach (var waiter in _lineWaiters.Where(w => w.Match(line)).ToList())
            {
                _lineWaiters.Remove(waiter);
                waiter.Seen.TrySetResult(line);
            }
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult((new Uri(match.Groups[1].Value), new Uri(match.Groups[2].Value)));
        }
    }

    [GeneratedRegex(@"listening: frontend (\S+) admin (\S+)")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
