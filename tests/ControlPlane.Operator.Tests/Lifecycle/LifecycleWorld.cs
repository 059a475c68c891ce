using System.Text;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;
using k8s.Autorest;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>Reads the world a Tenant's lifecycle changes: the tenant server, the catalog and the API server.</summary>
internal sealed class LifecycleWorld(OperatorTestCluster cluster, PostgresFixture postgres)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public OperatorTestCluster Cluster => cluster;

    public async Task<bool> DatabaseExistsAsync(string name) =>
        await ScalarAsync<bool>(postgres.Admin, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name);

    /// <summary>(exists, can log in, connection limit); (false, false, 0) when the role does not exist.</summary>
    public async Task<(bool Exists, bool Login, int Limit)> RoleAsync(string name)
    {
        await using var command = postgres.Admin.CreateCommand("SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1");
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(Token);
        return await reader.ReadAsync(Token) ? (true, reader.GetBoolean(0), reader.GetInt32(1)) : (false, false, 0);
    }

    /// <summary>The live or soft-deleted catalog rows of a slug: (id, status, schema_version, deleted).</summary>
    public async Task<List<(Guid Id, string Status, string? Schema, bool Deleted, string? Reason)>> CatalogRowsAsync(string slug)
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand(
            "SELECT id, status, schema_version, deleted_at IS NOT NULL, suspended_reason FROM control_plane.tenants WHERE lower(slug) = lower($1) ORDER BY created_at");
        command.Parameters.Add(new() { Value = slug });
        var rows = new List<(Guid, string, string?, bool, string?)>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>Audit events of a tenant id, oldest first: (type, payload json, actor).</summary>
    public async Task<List<(string Type, string? Payload, string Actor)>> EventsAsync(Guid tenantId)
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand(
            "SELECT event_type, payload::text, actor FROM control_plane.tenant_events WHERE tenant_id = $1 ORDER BY created_at, id");
        command.Parameters.Add(new() { Value = tenantId });
        var events = new List<(string, string?, string)>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            events.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
        }

        return events;
    }

    /// <summary>The catalog as text (every tenant and event column), for leak checks.</summary>
    public async Task<string> CatalogDumpAsync()
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand(
            "SELECT (SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM control_plane.tenants t) || (SELECT coalesce(string_agg(e::text, E'\\n'), '') FROM control_plane.tenant_events e) || (SELECT coalesce(string_agg(l::text, E'\\n'), '') FROM control_plane.tenant_limits l)");
        return (string)(await command.ExecuteScalarAsync(Token))!;
    }

    /// <summary>The generated password, as the Secret in the API server holds it; null when there is no such Secret.</summary>
    public async Task<string?> GeneratedPasswordAsync(string slug)
    {
        try
        {
            var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync($"tenant-{slug}-db", OperatorTestCluster.SecretNamespace, cancellationToken: Token);
            return Encoding.UTF8.GetString(secret.Data["password"]);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Logs in as the tenant role with a password and runs one query; throws what PostgreSQL says.</summary>
    public async Task<T> QueryAsTenantAsync<T>(string database, string password, string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.TenantServer.LoginAs(database, password, database).ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    public async Task<Tenant> WaitForAsync(string name, Func<Tenant, bool> condition, string what, int seconds = 60)
    {
        Tenant? tenant = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => (tenant = await cluster.GetTenantAsync(name, Token)) is not null && condition(tenant),
            TimeSpan.FromSeconds(seconds), $"{name}: {what}", Token);
        return tenant!;
    }

    public Task<Tenant> WaitForReasonAsync(string name, TenantReadyReason reason, int seconds = 60) =>
        WaitForAsync(name, t => Ready(t)?.Reason == reason.ToWire() && t.Status.ObservedGeneration == t.Metadata.Generation, $"Ready reason {reason.ToWire()}", seconds);

    public Task WaitForGoneAsync(string name, int seconds = 60) =>
        OperatorTestCluster.WaitUntilAsync(async () => await cluster.GetTenantAsync(name, Token) is null, TimeSpan.FromSeconds(seconds), $"{name} is gone", Token);

    public static k8s.Models.V1Condition? Ready(Tenant tenant) => Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready);

    public IEnumerable<string> KubernetesEventReasons(string name) =>
        cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace)
            .Where(e => (string?)e["involvedObject"]!["name"] == name)
            .Select(e => (string)e["reason"]!);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource source, string sql, object parameter)
    {
        await using var command = source.CreateCommand(sql);
        command.Parameters.Add(new() { Value = parameter });
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }
}
