using System.Net;
using WsBalancer.Host.Admin;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>Which wrong tokens count together: one IPv4 address, or one IPv6 /64 network (a host usually holds a whole /64).</summary>
public sealed class AdminAuthFailuresKeyTests
{
    [Theory]
    [InlineData("127.0.0.2", "127.0.0.2")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")] // a dual-mode listener's IPv4 client counts as that IPv4 address
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    public void KeyOf_Address_ItsPartition(string address, string expected)
    {
        Assert.Equal(expected, AdminAuthFailures.KeyOf(IPAddress.Parse(address)));
    }

    [Fact]
    public void KeyOf_NoAddress_OnePartitionThatIsNoAddress()
    {
        Assert.Equal("unknown", AdminAuthFailures.KeyOf(null));
    }
}
