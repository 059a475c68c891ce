using System.Text.Json;
using ControlPlane.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ControlPlane.Secrets.Tests;

public sealed class SecretValueTests
{
    private const string Password = "Zq8-hunter2-correct-horse-battery";

    [Fact]
    public void Every_accidental_text_form_is_redacted_and_only_Reveal_gives_the_value()
    {
        var secret = new SecretValue(Password);

        Assert.Equal("***", secret.ToString());
        Assert.Equal("dsn password=***", $"dsn password={secret}");
        Assert.Equal("***", string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}", secret));
        Assert.Equal("{\"Password\":\"***\"}", JsonSerializer.Serialize(new { Password = secret }));
        Assert.Equal(Password, secret.Reveal());
        Assert.Equal(Password.Length, secret.Length);
    }

    [Fact]
    public void A_secret_passed_to_a_logger_as_a_structured_value_is_redacted()
    {
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs));
#pragma warning disable CA1848, CA2254 // the point is the careless form
        factory.CreateLogger("careless").LogWarning("Connecting with {Password}", new SecretValue(Password));
#pragma warning restore CA1848, CA2254

        Assert.Contains("Connecting with ***", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_are_not_read_back_from_json()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SecretValue>("\"x\""));
    }

    [Fact]
    public void Equality_compares_values()
    {
        Assert.Equal(new SecretValue(Password), new SecretValue(Password));
        Assert.NotEqual(new SecretValue(Password), new SecretValue(Password + "x"));
    }
}
