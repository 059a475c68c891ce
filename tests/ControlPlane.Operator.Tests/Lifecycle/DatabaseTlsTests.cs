using ControlPlane.Client;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.Postgres;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// TLS to a tenant database server: PostgreSQL 17 started with ssl=on and a certificate for "localhost" issued by a
/// test CA. verify-full with that CA provisions and the resolver's DSN connects over TLS; another CA, or a host name
/// the certificate does not carry (127.0.0.1), is refused with Ready=False DatabaseServerTlsFailed before anything is
/// written: no catalog row, no secret, no database.
/// </summary>
public sealed class DatabaseTlsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Verify_full_with_the_right_ca_provisions_and_resolves_and_a_wrong_ca_or_host_name_is_refused_before_any_write()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tls = new TestCertificates();
        tls.IssueServer("server", "localhost");
        using var otherAuthority = new TestCertificates("another test CA");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        await using var server = await StartTlsServerAsync(tls, cancellationToken);
        await using (var superuser = NpgsqlDataSource.Create(server.ConnectionString))
        {
            // The same admin role and password as the cluster's default server, so its admin Secret serves both.
            await using var create = superuser.CreateCommand(
                $"CREATE ROLE {cluster.TenantServer.AdminRole} LOGIN CREATEDB CREATEROLE PASSWORD '{cluster.TenantServer.AdminPassword}'");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var adminSecret = cluster.DefaultOptions().TenantDatabaseServers["default"].AdminSecretRef;
        TenantDatabaseServerOptions Server(string host, string authority) => new()
        {
            Host = host,
            Port = server.Port,
            AdminUser = cluster.TenantServer.AdminRole,
            AdminSecretRef = adminSecret,
            SslMode = "verify-full",
            RootCertificate = authority,
        };
        var secure = Server("localhost", tls.AuthorityFile);
        cluster.StartOperator(options =>
        {
            options.TenantDatabaseServers["secure"] = secure;
            options.TenantDatabaseServers["wrong-ca"] = Server("localhost", otherAuthority.AuthorityFile);
            options.TenantDatabaseServers["wrong-host"] = Server("127.0.0.1", tls.AuthorityFile);
        });

        await cluster.CreateTenantAsync("good", spec => spec.Database!.Server = "secure", cancellationToken);
        await cluster.CreateTenantAsync("bad-ca", spec => spec.Database!.Server = "wrong-ca", cancellationToken);
        await cluster.CreateTenantAsync("bad-host", spec => spec.Database!.Server = "wrong-host", cancellationToken);

        await OperatorTestCluster.WaitUntilAsync(async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("good", cancellationToken)),
            TimeSpan.FromSeconds(120), "the tenant on the verify-full server is Active", cancellationToken);
        foreach (var name in new[] { "bad-ca", "bad-host" })
        {
            await OperatorTestCluster.WaitUntilAsync(
                async () => Ready(await cluster.GetTenantAsync(name, cancellationToken))?.Reason == TenantReadyReason.DatabaseServerTlsFailed.ToWire(),
                TimeSpan.FromSeconds(120), $"{name} is refused with DatabaseServerTlsFailed", cancellationToken);
            var ready = Ready(await cluster.GetTenantAsync(name, cancellationToken))!;
            Assert.Equal(Conditions.False, ready.Status);
            TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {ready.Message}");
        }

        // Nothing half-done: no catalog row, no generated secret, no database for the refused tenants.
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        var tenants = new TenantCatalog(catalog);
        Assert.Null(await tenants.FindBySlugAsync("bad-ca", cancellationToken));
        Assert.Null(await tenants.FindBySlugAsync("bad-host", cancellationToken));
        var secrets = await cluster.Client.CoreV1.ListNamespacedSecretAsync(OperatorTestCluster.SecretNamespace, cancellationToken: cancellationToken);
        Assert.DoesNotContain(secrets.Items, s => s.Metadata.Name.Contains("bad-", StringComparison.Ordinal));
        await using (var superuser = NpgsqlDataSource.Create(server.ConnectionString))
        {
            // By exact name: the random hex prefix of every test database may itself contain "bad".
            await using var databases = superuser.CreateCommand("SELECT string_agg(datname, ',') FROM pg_database WHERE datname = ANY($1)");
            databases.Parameters.Add(new NpgsqlParameter { Value = new[] { cluster.DatabaseNameFor("bad-ca"), cluster.DatabaseNameFor("bad-host") } });
            Assert.True(await databases.ExecuteScalarAsync(cancellationToken) is DBNull);
        }

        // The resolver's DSN carries the server's TLS settings, and the application connects with it over verified TLS.
        var lifecycle = cluster.CreateLifecycle(cluster.DefaultOptions());
        await using var resolver = new TenantConnectionResolver(catalog, lifecycle.Secrets,
            new TenantConnectionResolverOptions { ServerTls = TenantDatabaseServerTls.ByAddress(new Dictionary<string, TenantDatabaseServerOptions> { ["secure"] = secure }) },
            TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);
        var resolved = Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("good", cancellationToken));
        var dsn = new NpgsqlConnectionStringBuilder(resolved.Connection.RevealConnectionString());
        Assert.Equal((SslMode.VerifyFull, tls.AuthorityFile), (dsn.SslMode, dsn.RootCertificate));
        await using var application = new NpgsqlConnection(dsn.ConnectionString);
        await application.OpenAsync(cancellationToken);
        await using var ssl = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", application);
        Assert.Equal(true, await ssl.ExecuteScalarAsync(cancellationToken));
    }

    private static k8s.Models.V1Condition? Ready(Tenant? tenant) =>
        tenant is null ? null : Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready);

    /// <summary>An embedded PostgreSQL 17 with ssl=on, its certificate and key inside its own instance folder (the key 0600, as PostgreSQL demands).</summary>
    internal static async Task<EmbeddedPostgresServer> StartTlsServerAsync(TestCertificates tls, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(EmbeddedTestServer.Root);
        var instance = Path.Combine(EmbeddedTestServer.Root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        var certificates = Path.Combine(instance, "tls");
        Directory.CreateDirectory(certificates);
        File.Copy(tls.CertificateFile("server"), Path.Combine(certificates, "server.crt"));
        File.Copy(tls.KeyFile("server"), Path.Combine(certificates, "server.key"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(certificates, "server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return await EmbeddedPostgresServer.StartAsync(new EmbeddedPostgresOptions
        {
            InstanceDirectory = instance,
            Ephemeral = true,
            MaxConnections = 100,
            Settings = new Dictionary<string, string>
            {
                ["ssl"] = "on",
                ["ssl_cert_file"] = Path.Combine(certificates, "server.crt"),
                ["ssl_key_file"] = Path.Combine(certificates, "server.key"),
                ["ssl_min_protocol_version"] = "TLSv1.2",
            },
        }, cancellationToken);
    }
}
