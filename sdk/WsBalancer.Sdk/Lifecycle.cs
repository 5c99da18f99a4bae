namespace WsBalancer.Sdk;

/// <summary>Something with a stable identifier.</summary>
public interface IIdentifier
{
    /// <summary>The identifier; unique among objects of the same kind in one balancer.</summary>
    string Id { get; }
}

/// <summary>Something that does its work once started.</summary>
public interface IStarter
{
    /// <summary>Starts the work in the background and returns at once. Called at most once.</summary>
    void Start();
}

/// <summary>Something that can be started and later closed.</summary>
public interface IStartCloser : IStarter
{
    /// <summary>Closes gracefully. Safe to call more than once and before <see cref="IStarter.Start"/>.</summary>
    /// <returns>A task that completes when the close has been initiated as described by the implementing type.</returns>
    ValueTask CloseAsync();
}

/// <summary>A startable, closable object with an identifier.</summary>
public interface IStartCloseIdentifier : IStartCloser, IIdentifier
{
}
