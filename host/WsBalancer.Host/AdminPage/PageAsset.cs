namespace WsBalancer.Host.AdminPage;

/// <summary>One file of the web page, read once from the host assembly.</summary>
internal sealed record PageAsset(string Path, string ContentType, byte[] Content, string EntityTag);
