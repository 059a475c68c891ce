using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s.Autorest;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Hostile or broken manifests are refused, by the API server (422, from the CRD) or by the operator (InvalidSpec),
/// and nothing is created: no role, no database, no secret, no catalog row.
/// </summary>
public sealed class HostileManifestTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Manifests => new()
    {
        { "sql-in-slug", """{"slug": "acme'; DROP DATABASE postgres; --"}""" },
        { "sql-in-database-name", """{"database": {"name": "x\"; DROP ROLE postgres; --"}}""" },
        { "reserved-database", """{"database": {"name": "postgres"}}""" },
        { "template-database", """{"database": {"name": "template1"}}""" },
        { "overlong-slug", "{\"slug\": \"" + new string('a', 64) + "\"}" },
        { "overlong-database", "{\"database\": {\"name\": \"" + new string('d', 64) + "\"}}" },
        { "url-secret", """{"credentials": {"secretRef": "postgresql://acme:hunter2@db/acme"}}""" },  // secretlint-disable-line
        { "userinfo-secret", """{"credentials": {"secretRef": "k8s:ns/acme:hunter2@db#password"}}""" },
        { "keyword-secret", """{"credentials": {"secretRef": "vault:kv/acme#password=hunter2"}}""" },
        { "unknown-server", """{"database": {"server": "nowhere"}}""" },
        { "unknown-schema", """{"schemaVersion": "99"}""" },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public async Task A_hostile_manifest_is_refused_and_nothing_is_created(string name, string spec)
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var before = await ServerObjectsAsync(cluster, name);
        cluster.StartOperator();

        var refusal = await ApplyAsync(cluster, world, name, spec);

        Assert.True(refusal == "422" || refusal == TenantReadyReason.InvalidSpec.ToWire(), $"{name} was not refused: {refusal}");
        Assert.Equal(before, await ServerObjectsAsync(cluster, name));
        Assert.Empty(await world.CatalogRowsAsync(name));
        Assert.Equal("", await world.CatalogDumpAsync());
        Assert.Null(await world.GeneratedPasswordAsync(name));
    }

    [Fact]
    public async Task Hostile_text_in_free_text_fields_is_stored_verbatim_and_never_executed()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        cluster.StartOperator();
        const string hostile = "Acme'); DROP TABLE control_plane.tenants; --";

        await cluster.CreateTenantAsync("quoted", s => s.DisplayName = hostile, _ct);
        await world.WaitForAsync("quoted", OperatorTestCluster.IsConverged, "Active");

        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand("SELECT display_name FROM control_plane.tenants WHERE slug = 'quoted'");
        Assert.Equal(hostile, await command.ExecuteScalarAsync(_ct));
    }

    /// <summary>Applies the spec; returns "422" when the API server refused it, else the Ready reason the operator set.</summary>
    private async Task<string> ApplyAsync(OperatorTestCluster cluster, LifecycleWorld world, string name, string specJson)
    {
        var spec = System.Text.Json.JsonSerializer.Deserialize<TenantSpec>(specJson)!;
        try
        {
            await cluster.CreateTenantAsync(name, s =>
            {
                s.Slug = spec.Slug;
                s.Database = spec.Database is null ? s.Database : new TenantDatabaseSpec { Name = spec.Database.Name ?? s.Database!.Name, Server = spec.Database.Server };
                s.Credentials = spec.Credentials;
                s.SchemaVersion = spec.SchemaVersion;
            }, _ct);
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode == 422)
        {
            return "422";
        }

        var tenant = await world.WaitForAsync(name, t => LifecycleWorld.Ready(t) is not null, "a Ready condition");
        return LifecycleWorld.Ready(tenant)!.Reason;
    }

    /// <summary>
    /// The roles and databases a manifest could have produced (this cluster's prefix, or the tenant's own names), to
    /// prove no DDL ran; other tests share the server, so the rest of it is not this test's to compare.
    /// </summary>
    private async Task<string> ServerObjectsAsync(OperatorTestCluster cluster, string name)
    {
        await using var command = postgres.Admin.CreateCommand("""
            SELECT coalesce(string_agg(n, ',' ORDER BY n), '') FROM (
                SELECT datname AS n FROM pg_database UNION ALL SELECT rolname FROM pg_roles) o
            WHERE n LIKE $1 || '%' OR n = ANY($2)
            """);
        command.Parameters.Add(new() { Value = cluster.TenantServer.Prefix });
        command.Parameters.Add(new() { Value = new[] { name, name.Replace('-', '_'), cluster.DatabaseNameFor(name) } });
        return (string)(await command.ExecuteScalarAsync(_ct))!;
    }
}
