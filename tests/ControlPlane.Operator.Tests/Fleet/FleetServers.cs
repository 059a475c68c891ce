using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.Postgres;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Tests.Fleet;

/// <summary>
/// Two more PostgreSQL 17 servers beside the assembly's, started once for the fleet tests (one process each, reused by
/// every test of the class), each with a CREATEDB/CREATEROLE admin role that authenticates with a password, as
/// production has it. With the assembly's server that makes three real servers.
/// </summary>
public sealed class FleetServers : IAsyncLifetime
{
    public const string AdminRole = "fleet_admin";

    private readonly List<EmbeddedPostgresServer> _servers = [];

    public string AdminPassword { get; } = "Fl33t" + Guid.NewGuid().ToString("N");

    /// <summary>Superuser connection strings of the two extra servers.</summary>
    public IReadOnlyList<string> Superuser => [.. _servers.Select(s => s.ConnectionString)];

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        for (var i = 0; i < 2; i++)
        {
            var server = await EmbeddedTestServer.StartAsync(cancellationToken);
            _servers.Add(server);
            await using var admin = NpgsqlDataSource.Create(server.ConnectionString);
            await using var command = admin.CreateCommand($"CREATE ROLE {AdminRole} LOGIN CREATEDB CREATEROLE PASSWORD '{AdminPassword}'");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>The three servers of one test cluster as TenantDatabaseServer resources, and what the world says of them.</summary>
internal sealed class Fleet(OperatorTestCluster cluster, FleetServers extra)
{
    public const string ExtraSecret = "fleet-admin";

    /// <summary>Server names in the order of the endpoints: the assembly's server, then the two extra ones.</summary>
    public static readonly string[] Names = ["pg-a", "pg-b", "pg-c"];

    public async Task InstallSecretAsync(CancellationToken cancellationToken) =>
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = ExtraSecret }, StringData = new Dictionary<string, string> { ["password"] = extra.AdminPassword } },
            OperatorTestCluster.OperatorNamespace, cancellationToken: cancellationToken);

    /// <summary>The manifest of server <paramref name="index"/> (0: the assembly's server), as a user would write it.</summary>
    public TenantDatabaseServerResource Manifest(int index, Action<TenantDatabaseServerResource>? change = null)
    {
        var resource = new TenantDatabaseServerResource { Metadata = new V1ObjectMeta { Name = Names[index] } };
        if (index == 0)
        {
            (resource.Spec.Host, resource.Spec.Port) = cluster.TenantServerEndpoint;
            resource.Spec.AdminUser = cluster.TenantServer.AdminRole;
            resource.Spec.AdminSecretRef = new SecretKeyReference { Name = OperatorTestCluster.AdminSecretName, Key = "password" };
        }
        else
        {
            var address = new NpgsqlConnectionStringBuilder(extra.Superuser[index - 1]);
            (resource.Spec.Host, resource.Spec.Port) = (address.Host!, address.Port);
            resource.Spec.AdminUser = FleetServers.AdminRole;
            resource.Spec.AdminSecretRef = new SecretKeyReference { Name = ExtraSecret, Key = "password" };
        }

        change?.Invoke(resource);
        return resource;
    }

    public Task ApplyAsync(int index, Action<TenantDatabaseServerResource>? change = null, CancellationToken cancellationToken = default) =>
        cluster.Client.CustomObjects.CreateClusterCustomObjectAsync(
            Manifest(index, change), Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural, cancellationToken: cancellationToken);

    public async Task<TenantDatabaseServerResource?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.Client.CustomObjects.GetClusterCustomObjectAsync<TenantDatabaseServerResource>(
                Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural, name, cancellationToken: cancellationToken);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Changes a server's spec with a fresh read, retrying on 409 (a user's kubectl edit).</summary>
    public async Task UpdateAsync(string name, Action<TenantDatabaseServerSpec> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var server = (await GetAsync(name, cancellationToken))!;
            change(server.Spec);
            try
            {
                await cluster.Client.CustomObjects.ReplaceClusterCustomObjectAsync(
                    server, Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural, name, cancellationToken: cancellationToken);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
            }
        }
    }

    public async Task WaitReadyAsync(string name, CancellationToken cancellationToken) =>
        await OperatorTestCluster.WaitUntilAsync(
            async () => Conditions.Find((await GetAsync(name, cancellationToken))?.Status.Conditions, TenantDatabaseServerConditions.Ready)?.Status == "True",
            TimeSpan.FromSeconds(60), $"server {name} is Ready", cancellationToken);

    /// <summary>Live catalog rows per recorded server (the catalog is the record placement is rebuilt from).</summary>
    public async Task<Dictionary<string, int>> CatalogPlacementAsync(CancellationToken cancellationToken)
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand(
            "SELECT coalesce(db_server, '?'), count(*)::int FROM control_plane.tenants WHERE deleted_at IS NULL GROUP BY 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    /// <summary>This cluster's tenant databases that really exist on server <paramref name="index"/>.</summary>
    public async Task<int> DatabasesOnAsync(int index, PostgresFixture postgres, CancellationToken cancellationToken)
    {
        await using var server = NpgsqlDataSource.Create(index == 0 ? postgres.AdminConnectionString : extra.Superuser[index - 1]);
        await using var command = server.CreateCommand("SELECT count(*)::int FROM pg_catalog.pg_database WHERE starts_with(datname, $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = cluster.TenantServer.Prefix });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
