namespace WsBalancer.Host.Storage;

/// <summary>
/// The backend database cannot be used: locked by another process, unreadable, not a LiteDB file or corrupt. The message
/// is one line naming the file; at startup the process prints it and exits with code 2. The file is never altered.
/// </summary>
internal sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
