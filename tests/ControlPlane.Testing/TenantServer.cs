using Npgsql;

namespace ControlPlane.Testing;

/// <summary>
/// A tenant database server as production has it: an admin role with CREATEDB and CREATEROLE and nothing more,
/// authenticating with a password. Role names are unique per test because roles are cluster-wide.
/// </summary>
public sealed class TenantServer
{
    private readonly PostgresFixture _postgres;

    private TenantServer(PostgresFixture postgres, string adminRole, string adminPassword)
    {
        _postgres = postgres;
        AdminRole = adminRole;
        AdminPassword = adminPassword;
        Prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
    }

    public string AdminRole { get; }

    public string AdminPassword { get; }

    /// <summary>Prefix for every role and database name a test creates, so parallel tests never collide.</summary>
    public string Prefix { get; }

    public static async Task<TenantServer> CreateAsync(PostgresFixture postgres, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var role = "admin_" + Guid.NewGuid().ToString("N")[..12];
        var password = "Adm1n" + Guid.NewGuid().ToString("N");
        await using var command = postgres.Admin.CreateCommand(
            $"CREATE ROLE {role} LOGIN CREATEDB CREATEROLE PASSWORD '{password}'");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new TenantServer(postgres, role, password);
    }

    /// <summary>
    /// Connection settings for the admin role (pooled; the maintenance database unless told otherwise), with search_path
    /// pinned as the operator pins it.
    /// </summary>
    public NpgsqlConnectionStringBuilder AdminConnection(string database = "postgres") =>
        new(_postgres.AdminConnectionString) { Username = AdminRole, Password = AdminPassword, Database = database, SearchPath = "pg_catalog, pg_temp" };

    /// <summary>Connection settings for any role with a password, unpooled so each open is a real login.</summary>
    public NpgsqlConnectionStringBuilder LoginAs(string role, string password, string database) =>
        new(_postgres.AdminConnectionString) { Username = role, Password = password, Database = database, Pooling = false };
}
