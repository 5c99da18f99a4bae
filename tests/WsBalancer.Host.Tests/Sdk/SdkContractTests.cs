using System.Reflection;
using System.Xml.Linq;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Sdk;

public sealed class SdkContractTests
{
    private static readonly Assembly Sdk = typeof(WsMessage).Assembly;

    [Fact]
    public void References_OnlyTheBaseLibraryAndLoggingAbstractions()
    {
        var references = Sdk.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.All(references, name => Assert.True(
            name is "netstandard" or "Microsoft.Extensions.Logging.Abstractions" || name.StartsWith("System", StringComparison.Ordinal),
            $"the SDK must stay BCL-only (plus the logging abstractions), but references {name}"));
    }

    [Fact]
    public void PublicSurface_IsTheDesignContract()
    {
        string[] expected =
        [
            "AdminResult", "BackendDialContext", "ConnectionDeclinedException", "IBackendAdministrator", "IBackendConnection",
            "IBackendDialer", "IFrontendConnection", "IIdentifier", "IMessageValve", "IPluginContext", "ISessionControl", "ISessionDetails", "ISessionListener", "IStartCloseIdentifier",
            "IStartCloser", "IStarter", "IValveProvider", "ProxySession", "RemoteSystemException", "SystemUnavailableException",
            "WsHeaders", "WsMessage", "WsMessageType",
        ];

        Assert.Equal(expected, Sdk.GetExportedTypes().Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EnumValues_MatchTheSeed()
    {
        Assert.Equal([1, 3, 4], Enum.GetValues<AdminResult>().Select(v => (int)v));
        Assert.Equal([1, 2, 8, 9, 10, 32, 64], Enum.GetValues<WsMessageType>().Select(v => (int)v));
        Assert.Equal("Sec-WebSocket-Protocol", WsHeaders.Subprotocol);
        Assert.Equal("X-Forwarded-For", WsHeaders.ForwardedFor);
    }

    [Fact]
    public void EveryPublicMember_HasXmlDocumentation()
    {
        var xmlPath = Path.ChangeExtension(Sdk.Location, ".xml");
        var documented = XDocument.Load(xmlPath).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();

        var undocumented = Sdk.GetExportedTypes()
            .Where(t => !documented.Contains("T:" + t.FullName))
            .Select(t => t.FullName!)
            .ToArray();

        Assert.Empty(undocumented);
    }

    [Fact]
    public void Exceptions_CarryIdAndCode()
    {
        var declined = new ConnectionDeclinedException("b1", 403, "no");
        var unavailable = new SystemUnavailableException("b2", 0, "down");

        Assert.IsAssignableFrom<RemoteSystemException>(declined);
        Assert.Equal(("b1", 403), (declined.Id, declined.Code));
        Assert.Equal(("b2", 0), (unavailable.Id, unavailable.Code));
    }
}
