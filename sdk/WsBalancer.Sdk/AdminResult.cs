namespace WsBalancer.Sdk;

/// <summary>The outcome of an administrative action on a backend.</summary>
/// <remarks>The numeric values match the ancestor's result codes so that persisted or logged values keep their meaning.</remarks>
public enum AdminResult
{
    /// <summary>The action was carried out.</summary>
    Success = 1,

    /// <summary>The target was already in the requested state; nothing changed.</summary>
    NoActionRequired = 3,

    /// <summary>The action could not be carried out (for example, the id is unknown).</summary>
    Failed = 4,
}
