using ControlPlane.Core.Configuration;
using ControlPlane.Store.Connection;

namespace ControlPlane.Store.Tests;

public sealed class DatabaseUrlTests
{
    [Theory]
    [InlineData("postgresql+psycopg://app:s3cr%40t@db.internal:5433/platform_admin", "db.internal", 5433, "app", "s3cr@t", "platform_admin")]
    [InlineData("postgresql://app:pw@localhost/platform_admin", "localhost", 5432, "app", "pw", "platform_admin")]
    [InlineData("postgres://app@10.0.0.5:6432/catalog", "10.0.0.5", 6432, "app", null, "catalog")]
    [InlineData("postgresql://app:pw@[::1]:5432/platform_admin", "::1", 5432, "app", "pw", "platform_admin")]
    [InlineData("postgresql://app:pw@db", "db", 5432, "app", "pw", "platform_admin")]
    [InlineData("Host=db;Port=5434;Username=app;Password=pw;Database=platform_admin", "db", 5434, "app", "pw", "platform_admin")]
    [InlineData("Host=db;Username=app", "db", 5432, "app", null, "platform_admin")]
    public void Every_accepted_form_yields_the_same_connection_settings(
        string value, string host, int port, string user, string? password, string database)
    {
        var builder = DatabaseUrl.Parse(value);

        Assert.Equal(host, builder.Host);
        Assert.Equal(port, builder.Port);
        Assert.Equal(user, builder.Username);
        Assert.Equal(password, builder.Password);
        Assert.Equal(database, builder.Database);
    }

    [Fact]
    public void Query_parameters_map_to_npgsql_settings()
    {
        var builder = DatabaseUrl.Parse("postgresql://app:pw@db/platform_admin?sslmode=require&application_name=controlplane");

        Assert.Equal(Npgsql.SslMode.Require, builder.SslMode);
        Assert.Equal("controlplane", builder.ApplicationName);
    }

    [Theory]
    [InlineData("mysql://app:Sup3rSecretPw@db/platform_admin")]  // secretlint-disable-line
    [InlineData("postgresql://app:Sup3rSecretPw@/platform_admin")]
    [InlineData("postgresql://app:Sup3rSecretPw@db/platform_admin?password=Sup3rSecretPw")]  // secretlint-disable-line
    [InlineData("postgresql://app:Sup3rSecretPw@db/platform_admin?no_such_setting=1")]  // secretlint-disable-line
    [InlineData("Host=db;Password=Sup3rSecretPw;Frobnicate=yes")]
    [InlineData("Password=Sup3rSecretPw;Username=app")]
    [InlineData("postgresql://app:Sup3rSecretPw@db:99999/platform_admin")]  // secretlint-disable-line
    public void A_malformed_url_is_refused_without_echoing_the_password(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => DatabaseUrl.Parse(value));

        Assert.Contains(DatabaseUrl.VariableName, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sup3rSecretPw", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_url_is_refused(string value) =>
        Assert.Throws<ConfigurationException>(() => DatabaseUrl.Parse(value));

    [Fact]
    public void Describe_never_includes_the_password()
    {
        var builder = DatabaseUrl.Parse("postgresql://app:Sup3rSecretPw@db:5432/platform_admin");  // secretlint-disable-line

        Assert.Equal("postgresql://app@db:5432/platform_admin", DatabaseUrl.Describe(builder));
    }

    [Theory]
    [InlineData(null, DeploymentEnvironment.Dev)]
    [InlineData("", DeploymentEnvironment.Dev)]
    [InlineData("dev", DeploymentEnvironment.Dev)]
    [InlineData("Staging", DeploymentEnvironment.Staging)]
    [InlineData("PROD", DeploymentEnvironment.Prod)]
    public void Environment_names_are_parsed_case_insensitively(string? value, DeploymentEnvironment expected) =>
        Assert.Equal(expected, DeploymentEnvironments.Parse(value));

    [Fact]
    public void An_unknown_environment_is_refused_rather_than_treated_as_dev() =>
        Assert.Throws<ConfigurationException>(() => DeploymentEnvironments.Parse("production"));
}
