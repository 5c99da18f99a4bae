using System.Collections.Concurrent;
using Bogus;
using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Host.Hosting;
using WsBalancer.Sdk;

namespace WsBalancer.IntegrationTests.Hosting;

/// <summary>
/// Inline I/O (<c>server.inline-io</c>, on by default and in this test process, see inline-io.runsettings): socket
/// completions run on the runtime's event threads, so code we do not own must not: every valve call of a
/// message-path session runs on a thread-pool thread, in both directions.
/// </summary>
public sealed class InlineIoTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task MessagePathValves_RunOnThreadPoolThreads_NotOnSocketEventThreads()
    {
        Assert.True(InlineIo.Active, $"the test process must run with {InlineIo.RuntimeSwitch}=1 (set by inline-io.runsettings)");
        var ct = TestContext.Current.CancellationToken;
        var valve = new ThreadRecordingValve();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync(
            [backend], ct, services: s => s.AddSingleton<IValveProvider>(new SingleValveProvider(valve)));
        var client = await balancer.ConnectAsync("/inline", ct);

        var messages = Enumerable.Range(0, 50).Select(_ => _faker.Lorem.Sentence()).ToList();
        foreach (var message in messages)
        {
            await client.AssertEchoAsync(message, ct);
        }

        Assert.Equal(messages.Count, valve.Calls.Count(c => c.Direction == "to backend"));
        Assert.Equal(messages.Count, valve.Calls.Count(c => c.Direction == "to client"));
        Assert.All(valve.Calls, c => Assert.True(c.OnThreadPool, $"a valve call {c.Direction} ran on a socket event thread"));
    }

    private sealed record ValveCall(string Direction, bool OnThreadPool);

    private sealed class ThreadRecordingValve : IMessageValve
    {
        public ConcurrentQueue<ValveCall> Calls { get; } = new();

        public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message)
        {
            Calls.Enqueue(new ValveCall("to backend", Thread.CurrentThread.IsThreadPoolThread));
            return ValueTask.FromResult<WsMessage?>(message);
        }

        public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message)
        {
            Calls.Enqueue(new ValveCall("to client", Thread.CurrentThread.IsThreadPoolThread));
            return ValueTask.FromResult<WsMessage?>(message);
        }
    }

    private sealed class SingleValveProvider(IMessageValve valve) : IValveProvider
    {
        public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => [valve];
    }
}
