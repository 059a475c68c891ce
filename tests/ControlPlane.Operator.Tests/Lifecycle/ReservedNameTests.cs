using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s;
using k8s.Autorest;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Reserved names and every value the catalog or the database server would refuse are refused by the operator itself
/// (InvalidSpec) before any catalog row, Secret, role or database exists, even when the API server lets the Tenant in:
/// an object stored under an older, looser CRD, or a cluster whose CRD was not updated. The shipped CRD refuses the same
/// specs (TenantValidationCorpusTests); the administrator's own names only the operator knows.
/// </summary>
public sealed class ReservedNameTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    /// <summary>Tenant name → spec change; each is refused by the shipped CRD and by the operator.</summary>
    private static readonly Dictionary<string, Action<TenantSpec>> Hostile = new(StringComparer.Ordinal)
    {
        ["pg-tenant"] = s => s.Database!.Name = "pg_tenant",
        ["public-db"] = s => s.Database!.Name = "public",
        ["none-db"] = s => s.Database!.Name = "none",
        ["current-user-db"] = s => s.Database!.Name = "current_user",
        ["session-user-db"] = s => s.Database!.Name = "session_user",
        ["pg-database-owner-db"] = s => s.Database!.Name = "pg_database_owner",
        ["postgres-db"] = s => s.Database!.Name = "postgres",
        ["template1-db"] = s => s.Database!.Name = "template1",
        ["pg-acme"] = s => s.Database = null,
        ["public"] = s => s.Database = null,
        ["none"] = s => s.Database = null,
        ["current-user"] = s => s.Database = null,
        ["overlong-db"] = s => s.Database!.Name = new string('d', 58),
        ["newline-db"] = s => s.Database!.Name += "\n",
        ["nul-display"] = s => s.DisplayName = "Acme\0Corp",
        ["wide-display"] = s => s.DisplayName = string.Concat(Enumerable.Repeat("😀", 201)),
        ["nul-reason"] = s => { s.Suspended = true; s.SuspendedReason = "late\0"; },
        ["space-email"] = s => s.ContactEmail = "ops\u00a0team@acme.example",
        ["newline-email"] = s => s.ContactEmail = "ops@acme.example\n",
        ["huge-db-size"] = s => s.Limits = new() { MaxDbSizeMb = int.MaxValue + 1L },
        ["huge-users"] = s => s.Limits = new() { MaxUsers = int.MaxValue + 1L },
        ["newline-version"] = s => s.SchemaVersion = "2\n",
    };

    [Fact]
    public async Task Under_a_CRD_without_rules_the_operator_refuses_every_reserved_name_and_store_refused_value_before_any_side_effect()
    {
        var looseCrds = LooseCrdDirectory();
        try
        {
            await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct, looseCrds);
            var world = new LifecycleWorld(cluster, postgres);
            var before = await ServerObjectsAsync();
            cluster.StartOperator();

            foreach (var (name, spec) in Hostile)
            {
                await cluster.CreateTenantAsync(name, spec, _ct);
            }

            foreach (var name in Hostile.Keys)
            {
                var tenant = await world.WaitForAsync(name, t => LifecycleWorld.Ready(t) is not null, "a Ready condition");
                Assert.True(LifecycleWorld.Ready(tenant)!.Reason == TenantReadyReason.InvalidSpec.ToWire(), $"{name}: {LifecycleWorld.Ready(tenant)!.Reason} {LifecycleWorld.Ready(tenant)!.Message}");
            }

            Assert.Equal("", await world.CatalogDumpAsync());
            Assert.Equal([], await GeneratedSecretsAsync(cluster));
            Assert.Equal(before, await ServerObjectsAsync());
        }
        finally
        {
            Directory.Delete(looseCrds, recursive: true);
        }
    }

    [Fact]
    public async Task The_shipped_CRD_refuses_the_same_specs()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);

        foreach (var (name, spec) in Hostile)
        {
            var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.CreateTenantAsync(name, spec, _ct));
            Assert.True((int)error.Response.StatusCode == 422, $"{name}: {error.Response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_tenant_named_like_the_server_administrator_is_refused_before_any_side_effect()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        cluster.StartOperator();

        // The CRD cannot know the administrator's name; the operator does.
        await cluster.CreateTenantAsync("admin-db", s => s.Database!.Name = cluster.TenantServer.AdminRole, _ct);
        var tenant = await world.WaitForReasonAsync("admin-db", TenantReadyReason.InvalidSpec);

        Assert.Contains("is reserved on server", LifecycleWorld.Ready(tenant)!.Message, StringComparison.Ordinal);
        Assert.Equal("", await world.CatalogDumpAsync());
        Assert.Equal([], await GeneratedSecretsAsync(cluster));
    }

    /// <summary>The repository's Tenant CRD with every validation keyword and CEL rule removed (types and defaults kept).</summary>
    private static string LooseCrdDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("loose-crds-").FullName;
        var lines = File.ReadAllLines(RepositoryFiles.PathOf("config", "crds", "controlplane.econt.io_tenants.yaml"));
        var kept = new List<string>();
        int? skipDeeperThan = null;
        foreach (var line in lines)
        {
            var indent = line.Length - line.TrimStart().Length;
            var text = line.TrimStart();
            if (skipDeeperThan is { } depth && (indent > depth || text.Length == 0))
            {
                continue;
            }

            skipDeeperThan = null;
            if (text.StartsWith("x-kubernetes-validations:", StringComparison.Ordinal))
            {
                skipDeeperThan = indent;
                continue;
            }

            if (!new[] { "pattern:", "minLength:", "maxLength:", "minimum:", "maximum:", "enum:" }.Any(k => text.StartsWith(k, StringComparison.Ordinal)))
            {
                kept.Add(line);
            }
        }

        File.WriteAllLines(Path.Combine(directory, "controlplane.econt.io_tenants.yaml"), kept);
        return directory;
    }

    private async Task<List<string>> GeneratedSecretsAsync(OperatorTestCluster cluster)
    {
        var secrets = await cluster.Client.CoreV1.ListNamespacedSecretAsync(OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
        return [.. secrets.Items.Select(s => s.Metadata.Name).Where(n => n.StartsWith("tenant-", StringComparison.Ordinal) && n.EndsWith("-db", StringComparison.Ordinal))];
    }

    /// <summary>Every database and role of the shared server whose name a hostile spec asked for.</summary>
    private async Task<string> ServerObjectsAsync()
    {
        await using var command = postgres.Admin.CreateCommand("""
            SELECT coalesce(string_agg(n, ',' ORDER BY n), '') FROM (
                SELECT datname AS n FROM pg_database UNION ALL SELECT rolname FROM pg_roles) o
            WHERE n LIKE 'pg\_%' OR n LIKE '%pg\_acme%' OR n = ANY($1)
            """);
        command.Parameters.Add(new() { Value = new[] { "public", "none", "current_user", "session_user", "postgres", "template1", "pg_tenant", "pg_acme" } });
        return (string)(await command.ExecuteScalarAsync(_ct))!;
    }
}
