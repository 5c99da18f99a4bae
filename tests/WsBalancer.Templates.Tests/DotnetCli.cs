using System.Diagnostics;
using System.Text;

namespace WsBalancer.Templates.Tests;

/// <summary>Runs the real <c>dotnet</c> CLI as a child process, bounded in time and in the output it keeps.</summary>
internal static class DotnetCli
{
    // Variables the outer `dotnet test` sets for its own MSBuild; inherited, they would point the child's MSBuild at
    // the outer run's SDK and props instead of resolving its own.
    private static readonly string[] InheritedBuildVariables =
    [
        "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
        "MSBUILDNOINPROCNODE", "VSTEST_HOST_DEBUG", "VSTEST_RUNNER_DEBUG",
    ];

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> and waits for it to exit.</summary>
    /// <param name="workingDirectory">The child's current directory.</param>
    /// <param name="arguments">The arguments, each passed as one argument (no shell quoting).</param>
    /// <param name="timeout">How long the child may run; then it is killed with every process it started.</param>
    /// <param name="cancellationToken">The test's token: cancelling it kills the child too.</param>
    /// <returns>The exit code (or <see cref="CliResult.TimedOut"/>) and the combined output.</returns>
    public static async Task<CliResult> RunAsync(
        string workingDirectory, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(DotnetPath())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // closed at once below: nothing may wait for an answer
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in InheritedBuildVariables)
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en"; // the assertions read the test summary line
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no MSBuild worker outlives the child
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";

        var output = new OutputTail();
        var started = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            var result = new CliResult(Describe(arguments), process.ExitCode, started.Elapsed, output.ToString());
            // Each step's time in the test's output: what to look at first when the test grows slow.
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.Command}: exit {result.ExitCode} in {result.Elapsed.TotalSeconds:F1} s");
            return result;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(reaped.Token);
            cancellationToken.ThrowIfCancellationRequested();
            return new CliResult(Describe(arguments), CliResult.TimedOut, started.Elapsed, output.ToString());
        }
    }

    // The muxer running the outer `dotnet test` (it sets DOTNET_HOST_PATH for its children), else the one on PATH.
    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    private static string Describe(IReadOnlyList<string> arguments) => "dotnet " + string.Join(' ', arguments);

    /// <summary>The last lines of a child's output: a build that loops on warnings cannot fill the test's memory.</summary>
    private sealed class OutputTail
    {
        private const int MaxLines = 400;
        private readonly Queue<string> _lines = new();
        private int _dropped;

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > MaxLines)
                {
                    _lines.Dequeue();
                    _dropped++;
                }
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                var text = new StringBuilder();
                if (_dropped > 0)
                {
                    text.Append('(').Append(_dropped).AppendLine(" earlier lines left out)");
                }

                foreach (var line in _lines)
                {
                    text.AppendLine(line);
                }

                return text.ToString();
            }
        }
    }
}

/// <summary>How one CLI run ended.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The process's exit code, or <see cref="TimedOut"/>.</param>
/// <param name="Elapsed">How long it ran.</param>
/// <param name="Output">Standard output and error, interleaved as they arrived (the last lines only).</param>
internal sealed record CliResult(string Command, int ExitCode, TimeSpan Elapsed, string Output)
{
    /// <summary>The exit code reported for a child killed at its deadline.</summary>
    public const int TimedOut = -1;

    /// <summary>Fails the test, with the command and its output, unless the command exited with 0.</summary>
    public CliResult AssertSucceeded()
    {
        Assert.True(
            ExitCode == 0,
            $"`{Command}` {(ExitCode == TimedOut ? "timed out and was killed" : $"exited with {ExitCode}")} after {Elapsed.TotalSeconds:F1} s:\n{Output}");
        return this;
    }
}
