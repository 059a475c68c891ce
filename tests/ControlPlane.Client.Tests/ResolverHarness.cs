using ControlPlane.Core.Secrets;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ControlPlane.Client.Tests;

/// <summary>
/// A migrated catalog, the production secret store (<c>AddSecretStores</c>, ENVIRONMENT=dev so mock references work,
/// the uncached store so backend failures show at once) and a resolver over both, with every log line captured.
/// </summary>
internal sealed class ResolverHarness : IAsyncDisposable
{
    public const string SecretNamespace = "econt-tenants";

    private readonly ServiceProvider _services;

    private ResolverHarness(string connectionString, ServiceProvider services, CapturingLoggerProvider logs)
    {
        DataSource = NpgsqlDataSource.Create(connectionString);
        Catalog = new TenantCatalog(DataSource);
        _services = services;
        Logs = logs;
    }

    public NpgsqlDataSource DataSource { get; }

    public TenantCatalog Catalog { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>The store behind the production cache, so a backend failure reaches the resolver at once.</summary>
    public ISecretStore Secrets => _services.GetRequiredService<SecretStore>();

    public static async Task<ResolverHarness> CreateAsync(PostgresFixture postgres, IKubernetes? kubernetes = null)
    {
        var connectionString = await CatalogTemplate.CreateDatabaseAsync(postgres, TestContext.Current.CancellationToken);
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        if (kubernetes is not null)
        {
            services.AddSingleton(kubernetes);
        }

        services.AddSecretStores(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
        }).Build());
        return new ResolverHarness(connectionString, services.BuildServiceProvider(), logs);
    }

    public TenantConnectionResolver CreateResolver(TenantConnectionResolverOptions? options = null, TimeProvider? time = null) =>
        new(DataSource, Secrets, options ?? new TenantConnectionResolverOptions(), time ?? TimeProvider.System,
            _services.GetRequiredService<ILogger<TenantConnectionResolver>>());

    /// <summary>
    /// Registers a tenant and moves it to <paramref name="status"/>. Without <paramref name="secretRef"/> its password is
    /// written to a fresh mock reference; with one, the caller decides what (if anything) that reference holds.
    /// </summary>
    public async Task<CatalogTenant> AddTenantAsync(string slug, CatalogTenantStatus status, string password = "s3cret-Pa55word", string? secretRef = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var reference = SecretReference.Parse(secretRef ?? $"mock:{slug.ToLowerInvariant()}-{suffix}");
        if (secretRef is null)
        {
            await Secrets.WriteAsync(reference, new SecretValue(password), new SecretOwner(slug), cancellationToken);
        }

        var tenant = await Catalog.RegisterAsync(
            new TenantRegistration(slug, slug, $"tenant_{suffix}", "db.internal", $"app_{suffix}", reference, DbPort: 6432), "test", cancellationToken);
        return status switch
        {
            CatalogTenantStatus.Provisioning => tenant,
            CatalogTenantStatus.Active => await Catalog.MarkActiveAsync(tenant.Id, "test", cancellationToken),
            CatalogTenantStatus.Suspended => await Catalog.MarkSuspendedAsync(
                (await Catalog.MarkActiveAsync(tenant.Id, "test", cancellationToken)).Id, "unpaid invoices", "test", cancellationToken),
            CatalogTenantStatus.Deleting => await Catalog.MarkDeletingAsync(tenant.Id, "test", cancellationToken),
            CatalogTenantStatus.Deleted => await Catalog.MarkDeletedAsync((await Catalog.MarkDeletingAsync(tenant.Id, "test", cancellationToken)).Id, "test", cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
    }

    /// <summary>Stores a password in a Kubernetes Secret (through the secret store, namespace created on demand) and returns its reference.</summary>
    public async Task<SecretReference> WriteKubernetesSecretAsync(string slug, string password = "K8s-Pa55word")
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var kubernetes = _services.GetRequiredService<IKubernetes>();
        if ((await kubernetes.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken)).Items.All(n => n.Metadata.Name != SecretNamespace))
        {
            await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = SecretNamespace } }, cancellationToken: cancellationToken);
        }

        var reference = SecretReference.Kubernetes(SecretNamespace, $"tenant-{slug}-db", "password");
        await Secrets.WriteAsync(reference, new SecretValue(password), new SecretOwner(slug), cancellationToken);
        return reference;
    }

    public async Task SetMaintenanceAsync(CatalogTenant tenant, bool on) =>
        await Catalog.UpdateProfileAsync(tenant.Id, TenantProfile.Of(tenant) with { MaintenanceFlag = on }, "test", TestContext.Current.CancellationToken);

    public async Task<T> ScalarAsync<T>(string sql, params object?[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Has the server end every session whose last statement was a LISTEN (the resolver's listener); returns how many.</summary>
    public Task<long> TerminateListenerAsync() => ScalarAsync<long>("""
        SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%') t
        """);

    /// <summary>Runs one statement with triggers off (a superuser's replica role), so no change notification is sent.</summary>
    public async Task ExecuteUnannouncedAsync(string sql, params object?[] values)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var role = new NpgsqlCommand("SET LOCAL session_replication_role = replica", connection, transaction))
        {
            await role.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await _services.DisposeAsync();
    }
}
