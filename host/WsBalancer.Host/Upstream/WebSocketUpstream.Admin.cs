using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using WsBalancer.Host.Configuration;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

// The IBackendAdministrator half: JSON in the ancestor's shapes, state changes published as new immutable arrays.
internal sealed partial class WebSocketUpstream
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ListBackends()
    {
        var rows = new List<BackendRow>();
        foreach (var backend in Backends)
        {
            rows.Add(new BackendRow(
                backend.Settings.Url.OriginalString,
                backend.Id,
                backend.ActiveConnections,
                backend.Enabled,
                backend.Breaker.Tripped,
                backend.TotalConnections,
                backend.TotalFailures,
                backend.Breaker.State.ToString(),
                backend.Drain is { } drain ? DrainRow.Of(drain.Progress) : null));
        }

        return JsonSerializer.Serialize(rows, Json);
    }

    public string AddBackend(ReadOnlyMemory<byte> data)
    {
        NewBackend? request;
        try
        {
            request = JsonSerializer.Deserialize<NewBackend>(data.Span, Json);
        }
        catch (JsonException ex)
        {
            return Failed($"invalid JSON: {ex.Message}");
        }

        if (request is null)
        {
            return Failed("invalid JSON: expected an object");
        }

        if (!TryBuildSettings(request, out var settings, out var error))
        {
            return Failed(error);
        }

        lock (_writeGate)
        {
            foreach (var existing in _backends)
            {
                if (existing.Id.Equals(settings.Id, StringComparison.Ordinal))
                {
                    return Failed($"duplicate id '{settings.Id}'");
                }

                if (existing.Settings.Url.OriginalString.TrimEnd('/').Equals(settings.Url.OriginalString.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
                {
                    return Failed($"duplicate url '{settings.Url.OriginalString}'");
                }
            }

            // Stored first: a backend the API reported as added must survive a restart.
            if (_store?.Add(settings) is { } refused)
            {
                return Failed(refused);
            }

            _backends = _backends.Add(new UpstreamBackend(settings, _time));
            PublishRotation();
        }

        UpstreamLog.BackendAdded(_logger, settings.Id, settings.Url);
        return Success;
    }

    public string BackendConfig(string id)
    {
        var backend = Find(id);
        if (backend is null)
        {
            return Failed($"unknown backend id '{id}'");
        }

        var s = backend.Settings;
        return JsonSerializer.Serialize(
            new BackendConfigRow(
                s.Url.OriginalString,
                s.Id,
                GoDuration.Format(s.PingTime),
                s.ReadBufferSize,
                s.WriteBufferSize,
                s.BreakerThreshold,
                GoDuration.Format(s.HandshakeTimeout),
                s.PassHeaders,
                s.AbnormalCloseCodes),
            Json);
    }

    public AdminResult DisableBackend(string id) => Switch(id, enabled: false);

    public AdminResult EnableBackend(string id) => Switch(id, enabled: true);

    public AdminResult DeleteBackend(string id)
    {
        lock (_writeGate)
        {
            var backend = Find(id);
            if (backend is null)
            {
                return AdminResult.Failed;
            }

            _store?.Delete(id);
            backend.MarkDeleted();
            backend.Drain?.Stop(); // the delete moves (or ends) what is left, as for any deleted backend
            _backends = _backends.Remove(backend);
            PublishRotation();
        }

        UpstreamLog.BackendChanged(_logger, id, "deleted");
        return AdminResult.Success;
    }

    public AdminResult ResetBackend(string id)
    {
        var backend = Find(id);
        if (backend is null)
        {
            return AdminResult.Failed;
        }

        // As the ancestor: resetting a breaker that is not tripped changes nothing an operator can see.
        if (!backend.Breaker.Tripped)
        {
            return AdminResult.NoActionRequired;
        }

        backend.Breaker.Reset();
        UpstreamLog.BackendChanged(_logger, id, "reset");
        return AdminResult.Success;
    }

    public UpstreamBackend? Find(string id)
    {
        foreach (var backend in Backends)
        {
            if (backend.Id.Equals(id, StringComparison.Ordinal))
            {
                return backend;
            }
        }

        return null;
    }

    private AdminResult Switch(string id, bool enabled)
    {
        var backend = Find(id);
        if (backend is null)
        {
            return AdminResult.Failed;
        }

        lock (_writeGate)
        {
            if (backend.Enabled == enabled)
            {
                return AdminResult.NoActionRequired;
            }

            _store?.SetEnabled(id, enabled);
            backend.SetEnabled(enabled);
            PublishRotation();
        }

        UpstreamLog.BackendChanged(_logger, id, enabled ? "enabled" : "disabled");
        return AdminResult.Success;
    }

    /// <summary>Rebuilds the round-robin list from the backends that take sessions. Call under <c>_writeGate</c>.</summary>
    private void PublishRotation()
    {
        var rotation = ImmutableArray.CreateBuilder<UpstreamBackend>(_backends.Length);
        foreach (var backend in _backends)
        {
            if (backend.TakesSessions)
            {
                rotation.Add(backend);
            }
        }

        _rotation = rotation.ToImmutable();
    }

    private static bool TryBuildSettings(NewBackend request, out BackendSettings settings, out string error)
    {
        settings = null!;
        if (string.IsNullOrWhiteSpace(request.Url))
        {
            error = "url is required";
            return false;
        }

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || (url.Scheme != "ws" && url.Scheme != "wss"))
        {
            error = $"url '{request.Url}' must be an absolute ws:// or wss:// URL";
            return false;
        }

        var defaults = new BackendSettings { Url = url, Id = "-" };
        if (!TryDuration(request.PingTime, "ping-time", defaults.PingTime, out var pingTime, out error)
            || !TryDuration(request.HandshakeTimeout, "handshake-timeout", defaults.HandshakeTimeout, out var handshakeTimeout, out error))
        {
            return false;
        }

        foreach (var code in request.AbnormalCloseCodes ?? [])
        {
            if (code is < 1000 or > 4999)
            {
                error = $"abnormal-close-codes: {code} is not a close code (1000-4999)";
                return false;
            }
        }

        if (request.ReadBufferSize is < 0 or > 16 * 1024 * 1024 || request.WriteBufferSize is < 0 or > 16 * 1024 * 1024)
        {
            error = "read-buffer-size and write-buffer-size must be between 0 (default) and 16777216";
            return false;
        }

        var id = string.IsNullOrWhiteSpace(request.Id) ? BackendId.FromUrl(request.Url) : request.Id.Trim();
        if (!BackendId.IsValid(id))
        {
            error = $"id '{id}': expected {BackendId.Expected}";
            return false;
        }

        settings = new BackendSettings
        {
            Url = url,
            Id = id,
            PingTime = pingTime,
            HandshakeTimeout = handshakeTimeout,
            BreakerThreshold = request.BreakerThreshold ?? defaults.BreakerThreshold,
            PassHeaders = request.PassHeaders ?? [],
            AbnormalCloseCodes = request.AbnormalCloseCodes is { Length: > 0 } codes ? codes : BackendSettings.DefaultAbnormalCloseCodes,
            ReadBufferSize = request.ReadBufferSize is > 0 ? request.ReadBufferSize.Value : defaults.ReadBufferSize,
            WriteBufferSize = request.WriteBufferSize is > 0 ? request.WriteBufferSize.Value : defaults.WriteBufferSize,
        };
        error = string.Empty;
        return true;
    }

    private static bool TryDuration(string? text, string key, TimeSpan fallback, out TimeSpan value, out string error)
    {
        error = string.Empty;
        value = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (GoDuration.TryParse(text, out value) && value > TimeSpan.Zero)
        {
            return true;
        }

        error = $"{key}: '{text}' is not a positive duration such as 10s or 1m30s";
        return false;
    }

    private const string Success = """{"result":"success"}""";

    private static string Failed(string reason) =>
        JsonSerializer.Serialize(new FailedRow("failed", reason), Json);

    private sealed record FailedRow([property: JsonPropertyName("result")] string Result, [property: JsonPropertyName("reason")] string Reason);

    private sealed record BackendRow(
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("activeConnections")] long ActiveConnections,
        [property: JsonPropertyName("enabled")] bool Enabled,
        [property: JsonPropertyName("tripped")] bool Tripped,
        [property: JsonPropertyName("totalConnections")] long TotalConnections,
        [property: JsonPropertyName("totalFailures")] long TotalFailures,
        [property: JsonPropertyName("breakerState")] string BreakerState,
        [property: JsonPropertyName("draining"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DrainRow? Draining);

    /// <summary>A drain's progress; only on a drained or draining backend, so the ancestor's rows stay as they were.</summary>
    private sealed record DrainRow(
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("rate")] double Rate,
        [property: JsonPropertyName("moved")] long Moved,
        [property: JsonPropertyName("remaining")] int Remaining,
        [property: JsonPropertyName("failures")] long Failures)
    {
        public static DrainRow Of(DrainProgress progress) => new(
            progress.State.ToString().ToLowerInvariant(), progress.Rate, progress.Moved, progress.Remaining, progress.Failures);
    }

    private sealed record BackendConfigRow(
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("ping-time")] string PingTime,
        [property: JsonPropertyName("read-buffer-size")] int ReadBufferSize,
        [property: JsonPropertyName("write-buffer-size")] int WriteBufferSize,
        [property: JsonPropertyName("breaker-threshold")] int BreakerThreshold,
        [property: JsonPropertyName("handshake-timeout")] string HandshakeTimeout,
        [property: JsonPropertyName("pass-headers")] IReadOnlyList<string> PassHeaders,
        [property: JsonPropertyName("abnormal-close-codes")] IReadOnlyList<int> AbnormalCloseCodes);

    private sealed class NewBackend
    {
        [JsonPropertyName("url")] public string? Url { get; set; }
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("ping-time")] public string? PingTime { get; set; }
        [JsonPropertyName("read-buffer-size")] public int? ReadBufferSize { get; set; }
        [JsonPropertyName("write-buffer-size")] public int? WriteBufferSize { get; set; }
        [JsonPropertyName("breaker-threshold")] public int? BreakerThreshold { get; set; }
        [JsonPropertyName("handshake-timeout")] public string? HandshakeTimeout { get; set; }
        [JsonPropertyName("pass-headers")] public string[]? PassHeaders { get; set; }
        [JsonPropertyName("abnormal-close-codes")] public int[]? AbnormalCloseCodes { get; set; }
    }
}
