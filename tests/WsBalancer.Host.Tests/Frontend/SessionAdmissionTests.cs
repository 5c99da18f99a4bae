using System.Net;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;

namespace WsBalancer.Host.Tests.Frontend;

/// <summary>The frontend's session counts: the global and the per-address limit, and slots that always come back.</summary>
public sealed class SessionAdmissionTests
{
    private readonly Faker _faker = new() { Random = new Randomizer(1009) };

    [Fact]
    public void TryAdmit_OverTheGlobalLimit_RefusedUntilASlotIsGivenBack()
    {
        var admission = Admission(maxSessions: 3, perAddress: 0);
        var slots = Enumerable.Range(0, 3).Select(_ => Admit(admission, _faker.Internet.IpAddress())).ToList();

        Assert.Null(admission.TryAdmit(_faker.Internet.IpAddress(), out var refusal));
        Assert.Equal(SessionRefusal.SessionLimit, refusal);

        slots[1].Dispose();
        using var next = Admit(admission, _faker.Internet.IpAddress());
        Assert.Equal(3, admission.Count);
    }

    [Fact]
    public void TryAdmit_OverTheAddressLimit_RefusedForThatAddressOnly()
    {
        var admission = Admission(maxSessions: 0, perAddress: 2);
        var crowded = IPAddress.Parse("10.1.2.3");
        using var first = Admit(admission, crowded);
        using var second = Admit(admission, crowded);

        Assert.Null(admission.TryAdmit(crowded, out var refusal));
        Assert.Equal(SessionRefusal.AddressLimit, refusal);
        // A dual-mode listener reports an IPv4 client as IPv4-mapped IPv6: still the same client.
        Assert.Null(admission.TryAdmit(crowded.MapToIPv6(), out _));
        using var other = Admit(admission, IPAddress.Parse("10.1.2.4"));
    }

    [Fact]
    public void TryAdmit_IPv6_CountedPerSlash64()
    {
        var admission = Admission(maxSessions: 0, perAddress: 1);
        using var held = Admit(admission, IPAddress.Parse("2001:db8:1:2::1"));

        Assert.Null(admission.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff::9"), out var refusal));
        Assert.Equal(SessionRefusal.AddressLimit, refusal);
        using var nextNetwork = Admit(admission, IPAddress.Parse("2001:db8:1:3::1"));
    }

    [Fact]
    public void TryAdmit_BothLimitsOff_EveryoneAdmitted()
    {
        var admission = Admission(maxSessions: 0, perAddress: 0);
        var address = _faker.Internet.IpAddress();

        var slots = Enumerable.Range(0, 2_000).Select(_ => Admit(admission, address)).ToList();

        Assert.Equal(2_000, admission.Count);
        Assert.Equal(0, admission.TrackedAddresses); // nothing kept per address when that limit is off
        slots.ForEach(slot => slot.Dispose());
        Assert.Equal(0, admission.Count);
    }

    [Fact]
    public void Dispose_LastSlotOfAnAddress_AddressLeavesTheTable()
    {
        var admission = Admission(maxSessions: 0, perAddress: 5);
        var address = _faker.Internet.IpAddress();
        var first = Admit(admission, address);
        var second = Admit(admission, address);

        first.Dispose();
        Assert.Equal(1, admission.TrackedAddresses);
        second.Dispose();

        Assert.Equal(0, admission.TrackedAddresses);
        Assert.Equal(0, admission.Count);
    }

    [Fact]
    public void Dispose_Twice_GivesBackOneSlot()
    {
        var admission = Admission(maxSessions: 2, perAddress: 2);
        var address = _faker.Internet.IpAddress();
        using var kept = Admit(admission, address);
        var slot = Admit(admission, address);

        slot.Dispose();
        slot.Dispose();

        Assert.Equal(1, admission.Count);
        Assert.Equal(1, admission.TrackedAddresses);
    }

    [Fact]
    public async Task TryAdmit_ManyTasksTakingAndGivingBack_NeverOverTheLimitsAndEndsEmpty()
    {
        const int maxSessions = 40;
        const int perAddress = 3;
        var admission = Admission(maxSessions, perAddress);
        // Few addresses, many tasks: both limits are hit again and again while slots come and go.
        var addresses = Enumerable.Range(0, 20).Select(_ => _faker.Internet.IpAddress()).ToArray();
        var held = new int[addresses.Length];
        var heldTotal = 0;
        var overLimit = 0;
        var admitted = 0;
        var refused = 0;

        var tasks = Enumerable.Range(0, 64).Select(worker => Task.Run(() =>
        {
            // Each task keeps a few slots at a time and gives them back in random order, so slots are held across
            // tasks even on a machine with few cores.
            var random = new Random(worker);
            var mine = new List<(int Address, SessionAdmission.SessionSlot Slot)>();
            for (var i = 0; i < 2_000; i++)
            {
                var which = random.Next(addresses.Length);
                if (admission.TryAdmit(addresses[which], out _) is { } slot)
                {
                    Interlocked.Increment(ref admitted);
                    // Counted up after admission and down before the release: never more than the slots really held.
                    var fromAddress = Interlocked.Increment(ref held[which]);
                    var total = Interlocked.Increment(ref heldTotal);
                    if (fromAddress > perAddress || total > maxSessions)
                    {
                        Interlocked.Increment(ref overLimit);
                    }

                    mine.Add((which, slot));
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }

                while (mine.Count > random.Next(4) || (i == 1_999 && mine.Count > 0))
                {
                    var index = random.Next(mine.Count);
                    var (address, giveBack) = mine[index];
                    mine.RemoveAt(index);
                    Interlocked.Decrement(ref held[address]);
                    Interlocked.Decrement(ref heldTotal);
                    giveBack.Dispose();
                }
            }
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(tasks);

        Assert.Equal(0, overLimit);
        Assert.True(admitted > 0 && refused > 0, $"admitted {admitted}, refused {refused}: the limits were not exercised");
        Assert.Equal(0, admission.Count);
        Assert.Equal(0, admission.TrackedAddresses);
    }

    private static SessionAdmission Admission(int maxSessions, int perAddress) =>
        new(new ServerSettings { FrontendMaxSessions = maxSessions, FrontendMaxSessionsPerAddress = perAddress });

    private static SessionAdmission.SessionSlot Admit(SessionAdmission admission, IPAddress address)
    {
        var slot = admission.TryAdmit(address, out var refusal);
        Assert.Equal(SessionRefusal.None, refusal);
        return Assert.IsType<SessionAdmission.SessionSlot>(slot);
    }
}
