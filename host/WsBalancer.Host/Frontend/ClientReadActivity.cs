using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace WsBalancer.Host.Frontend;

/// <summary>
/// When a message-path client's connection last brought bytes (<see cref="Environment.TickCount64"/>; 0 before the
/// first). The server WebSocket answers pings itself and never shows them, yet a client's pings must keep its session
/// alive under the idle timeout: the bytes under the WebSocket show them. Set as a request feature when the idle timeout is on.
/// </summary>
internal sealed class ClientReadActivity
{
    private long _lastRead;

    public long LastRead => Volatile.Read(ref _lastRead);

    public void Record() => Volatile.Write(ref _lastRead, Environment.TickCount64);

    /// <summary>
    /// Middleware (before the WebSocket middleware, which takes the upgrade feature when a request arrives): an upgradable
    /// request's upgrade gives the WebSocket a stream that records its reads. The relay takes the connection's pipes
    /// instead and ignores that stream.
    /// </summary>
    public static Task WatchAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            var activity = new ClientReadActivity();
            context.Features.Set(activity);
            context.Features.Set<IHttpUpgradeFeature>(new RecordingUpgrade(upgrade, activity));
        }

        return next(context);
    }

    private sealed class RecordingUpgrade(IHttpUpgradeFeature inner, ClientReadActivity activity) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => new RecordingStream(await inner.UpgradeAsync(), activity);
    }

    /// <summary>Passes everything through; a read that brought bytes stamps the activity (one store, no allocation).</summary>
    private sealed class RecordingStream(Stream inner, ClientReadActivity activity) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(buffer, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                return AwaitReadAsync(read);
            }

            var count = read.Result;
            if (count > 0)
            {
                activity.Record();
            }

            return new ValueTask<int>(count);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            if (read > 0)
            {
                activity.Record();
            }

            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override ValueTask DisposeAsync() => inner.DisposeAsync();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<int> AwaitReadAsync(ValueTask<int> read)
        {
            var count = await read;
            if (count > 0)
            {
                activity.Record();
            }

            return count;
        }
    }
}
