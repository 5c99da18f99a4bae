using System.Text.Json.Serialization;

namespace WsBalancer.Plugins.SessionAudit;

// Source-generated: the reflection-based serializer caches metadata for every type it meets in statics of
// System.Text.Json, which the host loads, and that cache would keep this plugin's load context alive.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext
{
}
