using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// <c>server.tcp-keepalive</c>: the balancer's own socket of a client connection has TCP keepalive on, with the
/// configured idle time, a probe every third of it and 3 probes, read back from the kernel (getsockopt on the
/// balancer's file descriptor of that connection); <c>0</c> leaves it off.
/// </summary>
public sealed class ClientKeepAliveTests
{
    private const int SolSocket = 1;
    private const int SoKeepAlive = 9;
    private const int IpProtoTcp = 6;
    private const int TcpKeepIdle = 4;
    private const int TcpKeepIntvl = 5;
    private const int TcpKeepCnt = 6;

    [Theory]
    [InlineData(false, null)] // the default: 1 minute
    [InlineData(true, null)]
    [InlineData(true, 90)]
    [InlineData(false, 0)] // off: the system's default, no keepalive
    [InlineData(true, 0)]
    public async Task ClientConnection_BalancerSocketHasTheKeepaliveOptions(bool frameRelay, int? seconds)
    {
        Assert.True(OperatingSystem.IsLinux(), "reads the balancer's socket through /proc: Linux only");
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            FrameRelay = frameRelay,
            TcpKeepAlive = seconds is { } configured ? TimeSpan.FromSeconds(configured) : s.TcpKeepAlive,
        });
        var idle = seconds ?? 60;
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/", ct);

        var fd = BalancerSideDescriptor(balancer.FrontendUri.Port, ((System.Net.IPEndPoint)client.Socket.LocalEndPoint!).Port);

        Assert.Equal(idle > 0 ? 1 : 0, Option(fd, SolSocket, SoKeepAlive));
        if (idle > 0)
        {
            Assert.Equal((idle, idle / 3, 3), (Option(fd, IpProtoTcp, TcpKeepIdle), Option(fd, IpProtoTcp, TcpKeepIntvl), Option(fd, IpProtoTcp, TcpKeepCnt)));
        }

        await client.SendTextAsync("still works", ct);
        Assert.Equal("still works", (await client.ReceiveFrameAsync(ct)).Text);
    }

    /// <summary>The file descriptor of this process's socket from 127.0.0.1:<paramref name="localPort"/> to port <paramref name="remotePort"/>.</summary>
    private static int BalancerSideDescriptor(int localPort, int remotePort)
    {
        var inode = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => Port(f[1]) == localPort && Port(f[2]) == remotePort)
            .Select(f => f[9])
            .Single();
        return Directory.EnumerateFiles("/proc/self/fd")
            .Where(path => new FileInfo(path).LinkTarget == $"socket:[{inode}]")
            .Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture))
            .Single();

        static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static int Option(int fd, int level, int name)
    {
        var size = sizeof(int);
        if (GetSockOpt(fd, level, name, out var value, ref size) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        return value;
    }

    [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetSockOpt(int socket, int level, int name, out int value, ref int length);
}
