using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class MaskKeySourceTests
{
    [Fact]
    public void Next_AcrossSeveralRefills_KeysDoNotRepeat()
    {
        // 5 000 keys span five 1 024-key refills; 32-bit random keys collide among them with probability ~0.3 %,
        // so allowing 3 repeats keeps the test from failing by chance while catching a buffer reused unchanged.
        var keys = new HashSet<uint>();
        for (var i = 0; i < 5000; i++)
        {
            keys.Add(MaskKeySource.Next());
        }

        Assert.True(keys.Count >= 4997, $"{5000 - keys.Count} repeated keys");
    }

    [Fact]
    public async Task Next_OnAnotherThread_DrawsItsOwnKeys()
    {
        var here = Enumerable.Range(0, 1100).Select(_ => MaskKeySource.Next()).ToHashSet();
        var thread = await Task.Factory.StartNew(
            () => Enumerable.Range(0, 1100).Select(_ => MaskKeySource.Next()).ToList(),
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        Assert.True(thread.Count(here.Contains) <= 3);
    }
}
