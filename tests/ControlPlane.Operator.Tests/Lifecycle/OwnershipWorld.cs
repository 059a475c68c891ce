using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>What the ownership tests need beyond <see cref="LifecycleWorld"/>: Tenants in other namespaces, server fingerprints.</summary>
internal sealed class OwnershipWorld(OperatorTestCluster cluster, PostgresFixture postgres)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async Task CreateNamespaceAsync(string name) =>
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: Token);

    public async Task<Tenant> CreateTenantInAsync(string ns, string name, Action<TenantSpec> spec)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } };
        tenant.Spec.DisplayName = $"Tenant {name}";
        tenant.Spec.Database = new TenantDatabaseSpec { Name = cluster.DatabaseNameFor(name) };
        spec(tenant.Spec);
        return await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, ns, Tenant.Plural, cancellationToken: Token);
    }

    public Task<Tenant?> GetTenantInAsync(string ns, string name) =>
        new KubernetesResourceClient<Tenant>(cluster.Client, global::ControlPlane.Operator.Hosting.TenantOperator.Resource).GetAsync(ns, name, Token);

    public async Task<Tenant> WaitInAsync(string ns, string name, Func<Tenant, bool> condition, string what, int seconds = 90)
    {
        Tenant? tenant = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => (tenant = await GetTenantInAsync(ns, name)) is not null && condition(tenant),
            TimeSpan.FromSeconds(seconds), $"{ns}/{name}: {what}", Token);
        return tenant!;
    }

    public Task<Tenant> WaitForReasonInAsync(string ns, string name, TenantReadyReason reason) =>
        WaitInAsync(ns, name, t => LifecycleWorld.Ready(t)?.Reason == reason.ToWire() && t.Status.ObservedGeneration == t.Metadata.Generation, $"Ready reason {reason.ToWire()}");

    public async Task DeleteAndWaitGoneAsync(string ns, string name)
    {
        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(Tenant.ApiGroup, Tenant.ApiVersionName, ns, Tenant.Plural, name, cancellationToken: Token);
        await OperatorTestCluster.WaitUntilAsync(async () => await GetTenantInAsync(ns, name) is null, TimeSpan.FromSeconds(90), $"{ns}/{name} is gone", Token);
    }

    /// <summary>
    /// Every row version of this cluster's roles, databases and their comments (xmin changes with any ALTER, GRANT,
    /// REVOKE, COMMENT or password change; read as the fixture's superuser): equal fingerprints mean no DDL ran.
    /// </summary>
    public async Task<string> ServerFingerprintAsync()
    {
        await using var command = postgres.Admin.CreateCommand("""
            SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
                SELECT 'role ' || rolname || ' ' || xmin || ' ' || coalesce(rolpassword, '') FROM pg_authid WHERE starts_with(rolname, $1)
                UNION ALL SELECT 'database ' || datname || ' ' || xmin FROM pg_database WHERE starts_with(datname, $1)
                UNION ALL SELECT 'comment ' || s.objoid || ' ' || s.xmin FROM pg_shdescription s
                    WHERE s.objoid IN (SELECT oid FROM pg_authid WHERE starts_with(rolname, $1)
                                       UNION ALL SELECT oid FROM pg_database WHERE starts_with(datname, $1))
                UNION ALL SELECT 'member ' || m.roleid || ' ' || m.member || ' ' || m.xmin FROM pg_auth_members m
                    WHERE m.roleid IN (SELECT oid FROM pg_authid WHERE starts_with(rolname, $1))) f(x)
            """);
        command.Parameters.Add(new() { Value = cluster.TenantServer.Prefix });
        return (string)(await command.ExecuteScalarAsync(Token))!;
    }

    /// <summary>Runs SQL in a tenant database as the fixture's superuser (reads the data whatever the tenant's logins).</summary>
    public async Task<T> AsSuperuserInAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = database, Pooling = false }.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    /// <summary>Runs SQL on the tenant server's maintenance database as its (non-superuser) admin role.</summary>
    public async Task AsServerAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.TenantServer.AdminConnection().ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Token);
    }

    /// <summary>Names and resource versions of every Secret where generated tenant secrets live.</summary>
    public async Task<string> SecretsFingerprintAsync()
    {
        var secrets = await cluster.Client.CoreV1.ListNamespacedSecretAsync(OperatorTestCluster.SecretNamespace, cancellationToken: Token);
        return string.Join("\n", secrets.Items.Select(s => $"{s.Metadata.Name} {s.Metadata.ResourceVersion}").Order(StringComparer.Ordinal));
    }
}
