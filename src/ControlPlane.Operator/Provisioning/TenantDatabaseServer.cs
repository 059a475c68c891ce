using ControlPlane.Operator.Hosting;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Secrets;
using ControlPlane.Store.TenantDatabases;
using Npgsql;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// One configured tenant database server, reached as its admin role. The admin password is read from the secret
/// store whenever a physical connection opens (cached briefly by the store), so a rotated admin secret is picked up
/// without a restart and the password never sits in a connection string.
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
        _secrets = secrets;

        // Empty only for the embedded dev server, whose loopback superuser is trusted (see RunCommand).
        _adminSecret = string.IsNullOrEmpty(options.AdminSecretRef) ? null : SecretReference.Parse(options.AdminSecretRef);
        var builder = new NpgsqlDataSourceBuilder(Settings("postgres").ConnectionString);
        if (_adminSecret is not null)
        {
            builder.UsePasswordProvider(
                _ => throw new InvalidOperationException("The tenant database admin connection is opened asynchronously only."),
                async (_, cancellationToken) => (await _secrets.ReadAsync(_adminSecret, cancellationToken)).Reveal());
        }

        _admin = builder.Build();
        Administrator = new TenantDatabaseAdministrator(_admin);
    }

    public string Name { get; }

    public string Host { get; }

    public int Port { get; }

    public string AdminUser { get; }

    /// <summary>The TLS settings of every connection to this server (null: Npgsql's default, dev only).</summary>
    public DatabaseTls? Tls { get; }

    public TenantDatabaseAdministrator Administrator { get; }

    /// <summary>An unpooled admin connection to one tenant database, for its schema migrations.</summary>
    public async Task<NpgsqlConnectionStringBuilder> ConnectionToAsync(string database, CancellationToken cancellationToken)
    {
        var settings = Settings(database);
        settings.Pooling = false;
        if (_adminSecret is not null)
        {
            settings.Password = (await _secrets.ReadAsync(_adminSecret, cancellationToken)).Reveal();
        }

        return settings;
    }

    public ValueTask DisposeAsync() => _admin.DisposeAsync();

    private NpgsqlConnectionStringBuilder Settings(string database) => TenantDatabaseServerTls.Apply(Tls, new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = AdminUser,
        Database = database,
        ApplicationName = "controlplane-operator",
        Timeout = 10,

        // Admin work is short statements from at most MaxConcurrentReconciles workers; a small pool leaves the
        // tenant server's connection slots to the tenants.
        MaxPoolSize = 16,
    });
}
