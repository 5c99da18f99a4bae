using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.data-dir, server.admin.token and server.admin.allow-insecure.</summary>
public sealed class StorageAndAdminSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1600) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_DefaultsDataDirUnderBaseDirectoryNoTokenSecure()
    {
        var server = _sandbox.Load().Server;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "data"), server.DataDirectory);
        Assert.Null(server.AdminToken);
        Assert.False(server.AdminAllowInsecure);
    }

    [Fact]
    public void Load_HelpRequested_KeepsRecordDefaults()
    {
        var result = BalancerConfiguration.Load(["--help"], _sandbox.Environment, _sandbox.BaseDirectory);

        Assert.Equal("data", result.Settings.Server.DataDirectory);
    }

    [Theory]
    [InlineData("--data-dir", "store")]
    [InlineData("--data-dir=store")]
    [InlineData("-data-dir", "store")]
    [InlineData("-data-dir=store")]
    [InlineData("--server:data-dir=store")]
    [InlineData("--server:data-dir", "store")]
    public void Load_DataDirOnCommandLine_ResolvedAgainstBaseDirectory(params string[] args)
    {
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "store"), _sandbox.Load(args).Server.DataDirectory);
    }

    [Fact]
    public void Load_DataDirEnvironmentVariable_ResolvedAgainstBaseDirectory()
    {
        _sandbox.Environment["DATA_DIR"] = "var/lib/wsb";

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "var", "lib", "wsb"), _sandbox.Load().Server.DataDirectory);
    }

    [Fact]
    public void Load_DataDirInYaml_ResolvedAgainstBaseDirectoryNotFileDirectory()
    {
        Directory.CreateDirectory(Path.Combine(_sandbox.BaseDirectory, "conf"));
        _sandbox.WriteFile(Path.Combine("conf", "balancer.yml"), "server: { data-dir: state }");

        var server = _sandbox.Load("--config", Path.Combine("conf", "balancer.yml")).Server;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "state"), server.DataDirectory);
    }

    [Fact]
    public void Load_AbsoluteDataDir_KeptAsIs()
    {
        var absolute = Path.Combine(Path.GetTempPath(), _faker.Random.AlphaNumeric(12));
        _sandbox.Environment["WSB__server__data-dir"] = absolute;

        Assert.Equal(absolute, _sandbox.Load().Server.DataDirectory);
    }

    [Theory]
    [InlineData("--data-dir", ":memory:")]
    [InlineData("--data-dir=:memory:")]
    [InlineData("--server:data-dir=:memory:")]
    public void Load_MemoryDataDir_KeptVerbatim(params string[] args)
    {
        Assert.Equal(ServerSettings.InMemoryDataDirectory, _sandbox.Load(args).Server.DataDirectory);
    }

    [Fact]
    public void Load_MemoryDataDirFromEnvironment_KeptVerbatim()
    {
        _sandbox.Environment["DATA_DIR"] = ":memory:";

        Assert.Equal(":memory:", _sandbox.Load().Server.DataDirectory);
    }

    [Fact]
    public void Load_DataDirFlagAndEnvironment_FlagWins()
    {
        _sandbox.Environment["DATA_DIR"] = "from-env";

        var server = _sandbox.LoadYaml("server: { data-dir: from-yaml }", "--data-dir", "from-flag").Server;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "from-flag"), server.DataDirectory);
    }

    [Fact]
    public void Load_DataDirEnvironmentAndYaml_EnvironmentWins()
    {
        _sandbox.Environment["DATA_DIR"] = "from-env";

        var server = _sandbox.LoadYaml("server: { data-dir: from-yaml }").Server;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "from-env"), server.DataDirectory);
    }

    [Theory]
    [InlineData("from-override", "--data-dir=from-flag", "--server:data-dir=from-override")]
    [InlineData("from-flag", "--server:data-dir=from-override", "--data-dir=from-flag")]
    public void Load_DataDirFlagAndOverride_LastOnLineWins(string expected, params string[] args)
    {
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, expected), _sandbox.Load(args).Server.DataDirectory);
    }

    [Theory]
    [InlineData("--data-dir")]
    [InlineData("--data-dir=")]
    [InlineData("--data-dir=  ")]
    public void Load_DataDirFlagWithoutValue_ErrorNamesFlag(string arg)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.Load(arg));

        Assert.Equal("--data-dir", error.Key);
        Assert.Contains(":memory:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DataDirWithNulCharacter_ErrorNamesVariable()
    {
        _sandbox.Environment["DATA_DIR"] = "bad\0dir";

        var error = _sandbox.LoadFails("DATA_DIR", "bad\0dir");

        Assert.Contains("a directory path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadDataDirFromFlag_ErrorNamesFlag()
    {
        _sandbox.LoadFails("--data-dir", "bad\0dir", "--data-dir=bad\0dir");
    }

    [Fact]
    public void Load_AdminTokenFromEnvironment_Set()
    {
        var token = _faker.Random.AlphaNumeric(32);
        _sandbox.Environment["ADM_TOKEN"] = token;

        Assert.Equal(token, _sandbox.Load().Server.AdminToken);
    }

    [Fact]
    public void Load_AdminTokenFromYaml_Set()
    {
        var token = _faker.Random.Hash(40);

        Assert.Equal(token, _sandbox.LoadYaml($"server: {{ admin: {{ address: '127.0.0.1:9001', token: '{token}' }} }}").Server.AdminToken);
    }

    [Fact]
    public void Load_AdminTokenOfSixteenCharactersWithSurroundingBlanks_TrimmedAndAccepted()
    {
        var token = _faker.Random.String2(16, "!#$%&*+-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ^_abcdefghijklmnopqrstuvwxyz|~");
        _sandbox.Environment["ADM_TOKEN"] = $"  {token}\n";

        Assert.Equal(token, _sandbox.Load().Server.AdminToken);
    }

    public static TheoryData<string> BadTokens()
    {
        var faker = new Faker { Random = new Randomizer(1601) };
        return
        [
            faker.Random.AlphaNumeric(SettingsReader.MinAdminTokenLength - 1),
            faker.Random.AlphaNumeric(10) + " " + faker.Random.AlphaNumeric(10),
            faker.Random.AlphaNumeric(10) + "\t" + faker.Random.AlphaNumeric(10),
            faker.Random.AlphaNumeric(10) + "\u00A0" + faker.Random.AlphaNumeric(10),
            faker.Random.AlphaNumeric(10) + "\u0001" + faker.Random.AlphaNumeric(10),
        ];
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public void Load_BadAdminTokenInEnvironment_ErrorNamesVariableWithoutToken(string token)
    {
        _sandbox.Environment["ADM_TOKEN"] = token;

        var error = _sandbox.LoadFails("ADM_TOKEN", SettingsReader.RedactedValue);

        AssertTokenHidden(error, token);
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public void Load_BadAdminTokenOnCommandLine_ErrorNamesKeyWithoutToken(string token)
    {
        var error = _sandbox.LoadFails("server.admin.token", SettingsReader.RedactedValue, $"--server:admin:token={token}");

        AssertTokenHidden(error, token);
    }

    [Fact]
    public void Load_ShortAdminTokenInYaml_ErrorNamesYamlPathWithoutToken()
    {
        var token = _faker.Random.AlphaNumeric(8);

        var error = _sandbox.LoadYamlFails($"server: {{ admin: {{ token: {token} }} }}", "server.admin.token", SettingsReader.RedactedValue);

        AssertTokenHidden(error, token);
        Assert.Contains("at least 16 characters", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    public void Load_AllowInsecureEnvironmentVariable_Parsed(string value, bool expected)
    {
        _sandbox.Environment["ADM_ALLOW_INSECURE"] = value;

        Assert.Equal(expected, _sandbox.Load().Server.AdminAllowInsecure);
    }

    [Fact]
    public void Load_AllowInsecureInYaml_Set()
    {
        Assert.True(_sandbox.LoadYaml("server: { admin: { allow-insecure: true } }").Server.AdminAllowInsecure);
    }

    [Fact]
    public void Load_AllowInsecureEnvironmentOverYaml_EnvironmentWins()
    {
        _sandbox.Environment["ADM_ALLOW_INSECURE"] = "no";

        Assert.False(_sandbox.LoadYaml("server: { admin: { allow-insecure: true } }").Server.AdminAllowInsecure);
    }

    [Fact]
    public void Load_BadAllowInsecure_ErrorNamesVariableAndValue()
    {
        _sandbox.Environment["ADM_ALLOW_INSECURE"] = "maybe";

        _sandbox.LoadFails("ADM_ALLOW_INSECURE", "maybe");
    }

    [Fact]
    public void Load_AdminSettings_LeaveListenerSettingsAlone()
    {
        var server = _sandbox.LoadYaml("server: { admin: { address: '127.0.0.1:9100', allow-insecure: yes, token: 'abcdefghijklmnopqrstuvwxyz' } }").Server;

        Assert.Equal(new ListenAddress("127.0.0.1", 9100), server.Admin.Address);
        Assert.Equal(TimeSpan.FromSeconds(10), server.Admin.ReadTimeout);
    }

    [Fact]
    public void ToString_ServerSettingsWithToken_ShowsEveryPropertyButNotToken()
    {
        var token = _faker.Random.AlphaNumeric(24);
        _sandbox.Environment["ADM_TOKEN"] = token;
        var server = _sandbox.Load().Server;

        var text = server.ToString();

        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Contains("AdminToken = <redacted>", text, StringComparison.Ordinal);
        foreach (var property in typeof(ServerSettings).GetProperties())
        {
            Assert.Contains($"{property.Name} = ", text, StringComparison.Ordinal);
        }
    }

    private static void AssertTokenHidden(ConfigurationErrorException error, string token)
    {
        Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(SettingsReader.RedactedValue, error.Value);
        Assert.Contains("'<redacted>'", error.Message, StringComparison.Ordinal);
    }
}
