using System.Net;
using WsBalancer.Host.Http;

namespace WsBalancer.Host.Tests.Http;

/// <summary>
/// Which connections count as one client for the per-address limits (admin auth failures, frontend sessions): one IPv4
/// address, or one IPv6 /64 network (a host usually holds a whole /64).
/// </summary>
public sealed class RemoteAddressKeyTests
{
    [Theory]
    [InlineData("127.0.0.2", "127.0.0.2")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")] // a dual-mode listener's IPv4 client counts as that IPv4 address
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    public void Of_Address_ItsPartition(string address, string expected)
    {
        Assert.Equal(expected, RemoteAddressKey.Of(IPAddress.Parse(address)));
    }

    [Fact]
    public void Of_NoAddress_OnePartitionThatIsNoAddress()
    {
        Assert.Equal("unknown", RemoteAddressKey.Of(null));
    }
}
