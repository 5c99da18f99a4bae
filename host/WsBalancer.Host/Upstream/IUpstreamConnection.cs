namespace WsBalancer.Host.Upstream;

/// <summary>A connection the built-in upstream dialed, on either session path: which of its backends it is on.</summary>
internal interface IUpstreamConnection
{
    UpstreamBackend Backend { get; }
}
