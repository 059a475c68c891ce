using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ControlPlane.Operator.Tests.Fleet;

/// <summary>
/// The resolver's TLS settings follow the server registry: a tenant on a server registered at runtime (a
/// TenantDatabaseServer resource) gets that server's sslmode in its DSN, not libpq's default.
/// </summary>
public sealed class RegisteredServerTlsTests
{
    [Fact]
    public async Task A_server_registered_at_runtime_is_reached_with_its_own_tls_and_a_removed_one_no_longer()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DeploymentEnvironments.VariableName] = "dev",
            ["SECRET_MANAGER_BACKEND"] = "mock",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddMetrics().AddSecretStores(configuration).BuildServiceProvider();
        var bootstrap = new Dictionary<string, TenantDatabaseServerOptions>
        {
            ["default"] = new() { Host = "pg-0.internal", Port = 5432, AdminSecretRef = "mock:admin", SslMode = "verify-full" },
        };
        TenantDatabaseServers? registry = null;
        var tls = new RegisteredServerTls(() => registry, TenantDatabaseServerTls.ByAddress(bootstrap));

        Assert.Equal(SslMode.VerifyFull, tls["pg-0.internal:5432"].Mode);
        Assert.False(tls.ContainsKey("pg-1.internal:5433"));

        await using var servers = new TenantDatabaseServers(bootstrap, services.GetRequiredService<ISecretStore>());
        registry = servers;
        servers.Register("eu-1", new TenantDatabaseServerOptions { Host = "pg-1.internal", Port = 5433, AdminSecretRef = "mock:admin-eu-1", SslMode = "require" });

        Assert.Equal(SslMode.VerifyFull, tls["PG-0.internal:5432"].Mode);
        Assert.Equal(SslMode.Require, tls["pg-1.internal:5433"].Mode);
        servers.Unregister("eu-1");
        Assert.False(tls.ContainsKey("pg-1.internal:5433"));
    }
}
