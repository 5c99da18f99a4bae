using LiteDB;
using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Tests.Storage;

public sealed class BackendDefinitionMapperTests
{
    private readonly BackendFaker _backends = new(seed: 1605);
    private readonly DateTimeOffset _now = new(2025, 6, 1, 12, 30, 45, 123, TimeSpan.Zero);

    [Fact]
    public void ToDocument_Definition_UsesStableFieldNames()
    {
        var document = BackendDefinitionMapper.ToDocument(Definition());

        // The stored schema: renaming a field here breaks every existing wsbalancer.db.
        Assert.Equal(
            ["_id", "abnormal-close-codes", "breaker-threshold", "deleted", "enabled", "handshake-timeout-ticks", "order", "origin",
             "pass-headers", "ping-time-ticks", "read-buffer-size", "updated-at", "url", "write-buffer-size"],
            document.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Api", document["origin"].AsString);
        Assert.True(document["ping-time-ticks"].IsInt64);
    }

    [Fact]
    public void FromDocument_ToDocumentOutput_RoundTrips()
    {
        var definition = Definition() with { Deleted = true, Enabled = false, Order = long.MaxValue - 1 };

        var back = BackendDefinitionMapper.FromDocument(BackendDefinitionMapper.ToDocument(definition));

        Assert.True(back.HasSameSettings(definition));
        Assert.Equal(definition.Id, back.Id);
        Assert.Equal((definition.Enabled, definition.Origin, definition.Deleted, definition.Order), (back.Enabled, back.Origin, back.Deleted, back.Order));
        Assert.Equal(_now, back.UpdatedAt);
    }

    [Fact]
    public void ToSettings_FromSettingsOutput_SameSettings()
    {
        var settings = _backends.Next();

        var back = BackendDefinitionMapper.ToSettings(BackendDefinitionMapper.FromSettings(settings, enabled: true, BackendOrigin.Config, 1, _now));

        BackendFaker.AssertSame(settings, back);
    }

    [Theory]
    [InlineData("url")]
    [InlineData("ping-time-ticks")]
    [InlineData("pass-headers")]
    [InlineData("origin")]
    [InlineData("updated-at")]
    public void FromDocument_MissingField_ThrowsNamingField(string field)
    {
        var document = BackendDefinitionMapper.ToDocument(Definition());
        document.Remove(field);

        var error = Assert.Throws<FormatException>(() => BackendDefinitionMapper.FromDocument(document));

        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("api")]
    [InlineData("")]
    public void FromDocument_UnknownOrigin_Throws(string origin)
    {
        var document = BackendDefinitionMapper.ToDocument(Definition());
        document["origin"] = origin;

        Assert.Throws<FormatException>(() => BackendDefinitionMapper.FromDocument(document));
    }

    [Fact]
    public void FromDocument_Int32Ticks_Accepted()
    {
        var document = BackendDefinitionMapper.ToDocument(Definition());
        document["ping-time-ticks"] = new BsonValue(5_000);

        Assert.Equal(TimeSpan.FromTicks(5_000), BackendDefinitionMapper.FromDocument(document).PingTime);
    }

    [Fact]
    public void HasSameSettings_StateOnlyDiffers_True()
    {
        var definition = Definition();

        Assert.True(definition.HasSameSettings(definition with { Enabled = !definition.Enabled, Order = 99, Deleted = true, PassHeaders = [.. definition.PassHeaders] }));
        Assert.False(definition.HasSameSettings(definition with { PassHeaders = [.. definition.PassHeaders, "X-More"] }));
        Assert.False(definition.HasSameSettings(definition with { PingTime = definition.PingTime + TimeSpan.FromTicks(1) }));
    }

    private BackendDefinition Definition() => BackendDefinitionMapper.FromSettings(_backends.Next(), enabled: true, BackendOrigin.Api, 7, _now);
}
