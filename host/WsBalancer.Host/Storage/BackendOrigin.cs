namespace WsBalancer.Host.Storage;

/// <summary>Who owns a backend's definition. Stored by name, so the numbers may change but the names may not.</summary>
internal enum BackendOrigin
{
    /// <summary>Named by the configuration (YAML file, environment); the configuration is the truth for its settings.</summary>
    Config,

    /// <summary>Added through the admin API; survives restarts untouched.</summary>
    Api,
}
