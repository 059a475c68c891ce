using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using ControlPlane.Store.TenantDatabases;
using Npgsql;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// One configured tenant database server, reached as its admin role. The admin password is read from the secret
/// store whenever a physical connection opens, past the store's cache: opens are rare (a small pool), and a password
/// rotated by another process (the leader, <c>rotate-admin-password</c>) must work at the next open, not a cache TTL
/// later. So a rotated admin secret is picked up without a restart and the password never sits in a connection string.
/// </summary>
public sealed class TenantDatabaseServer : IAsyncDisposable
{
    private readonly SecretReference? _adminSecret;
    private readonly ISecretStore _secrets;
    private readonly NpgsqlDataSource _admin;

    public TenantDatabaseServer(string name, TenantDatabaseServerOptions options, ISecretStore secrets)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        Host = options.Host;
        Port = options.Port;
        AdminUser = options.AdminUser;
        Tls = TenantDatabaseServerTls.From(options);
        MaxConcurrentOperations = options.MaxConcurrentOperations;
        _secrets = secrets;

        // Empty only for the embedded dev server, whose loopback superuser is trusted (see RunCommand).
        _adminSecret = string.IsNullOrEmpty(options.AdminSecretRef) ? null : SecretReference.Parse(options.AdminSecretRef);
        var builder = new NpgsqlDataSourceBuilder(AdminSettings().ConnectionString);
        if (_adminSecret is not null)
        {
            builder.UsePasswordProvider(
                _ => throw new InvalidOperationException("The tenant database admin connection is opened asynchronously only."),
                async (_, cancellationToken) =>
                {
                    (_secrets as ISecretCache)?.Invalidate(_adminSecret);
                    return (await _secrets.ReadAsync(_adminSecret, cancellationToken)).Reveal();
                });
        }

        _admin = builder.Build();
        Administrator = new TenantDatabaseAdministrator(_admin);
        Operations = new ServerOperationSlots(options.MaxConcurrentOperations);
        AdminPasswordRotateEvery = RotationPeriod.Parse(options.AdminPasswordRotateEvery);
    }

    public string Name { get; }

    public string Host { get; }

    public int Port { get; }

    public string AdminUser { get; }

    /// <summary>The operation limit, which is also the admin pool's size.</summary>
    public int MaxConcurrentOperations { get; }

    /// <summary>The TLS settings of every connection to this server (null: Npgsql's default, dev only).</summary>
    public DatabaseTls? Tls { get; }

    public TenantDatabaseAdministrator Administrator { get; }

    /// <summary>The server's operation slots (<c>MaxConcurrentOperations</c>): every reconcile holds one while it works here.</summary>
    public ServerOperationSlots Operations { get; }

    /// <summary>Where the admin password is stored; null only for the embedded dev server's trusted superuser.</summary>
    public SecretReference? AdminSecret => _adminSecret;

    /// <summary>How often the leader rotates the admin password (<c>AdminPasswordRotateEvery</c>); null: only on demand.</summary>
    public TimeSpan? AdminPasswordRotateEvery { get; }

    /// <summary>The admin's connection settings without a password, for sessions that log in with a password of their own.</summary>
    public NpgsqlConnectionStringBuilder AdminConnectionSettings() => AdminSettings();

    /// <summary>
    /// Closes the pool's idle connections, so the next admin operation logs in anew (with the password stored now);
    /// connections in use finish their work first. After a rotation this proves the new password at once.
    /// </summary>
    public void RetireIdleConnections() => _admin.Clear();

    public ValueTask DisposeAsync() => _admin.DisposeAsync();

    /// <summary>The admin only ever connects to the maintenance database; tenant databases are entered as their owner role.</summary>
    private NpgsqlConnectionStringBuilder AdminSettings() => TenantDatabaseServerTls.Apply(Tls, new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = AdminUser,
        Database = "postgres",
        ApplicationName = "controlplane-operator",
        Timeout = 10,

        // Pinned in the startup packet, which outranks any ALTER DATABASE/ROLE … SET: in the admin's sessions every
        // unqualified name resolves in pg_catalog first and nowhere a tenant can write (ADR-CP-008).
        SearchPath = "pg_catalog, pg_temp",

        // Admin work runs only inside an operation slot, and an operation holds at most one connection to the server
        // at a time (admin statements, then the owner's unpooled session, one after the other): as many connections as
        // slots never makes an operation wait for the pool, and leaves the server's connection slots to the tenants.
        MaxPoolSize = MaxConcurrentOperations,
    });
}
