namespace ControlPlane.Operator.Provisioning;

/// <summary>A PostgreSQL server that hosts tenant databases, and how the operator logs in as its administrator.</summary>
/// <remarks>
/// Owned by Provisioning, the layer that uses it (issue 19): the host's <c>OperatorOptions</c> holds a dictionary of them
/// and its loader validates them, but nothing here looks up at the host.
/// </remarks>
public sealed class TenantDatabaseServerOptions
{
    public string Host { get; set; } = "";

    public int Port { get; set; } = 5432;

    public string AdminUser { get; set; } = "postgres";

    /// <summary>A secret reference (k8s:, vault:, env: or mock:) to the administrator's password.</summary>
    public string AdminSecretRef { get; set; } = "";

    /// <summary>
    /// TLS to this server, libpq's <c>sslmode</c>: <c>verify-full</c> when unset outside dev (filled in by
    /// the host's options loader at start); <c>disable</c>, <c>allow</c> and <c>prefer</c> are refused outside dev. The
    /// resolver's DSN for this server's tenants carries the same mode.
    /// </summary>
    public string? SslMode { get; set; }

    /// <summary>PEM CA bundle the server's certificate must chain to (<c>sslrootcert</c>); unset means the system trust store.</summary>
    public string? RootCertificate { get; set; }

    /// <summary>
    /// Rotate the admin password this long after its previous rotation by the operator, in whole hours or days (<c>720h</c>,
    /// <c>30d</c>); at once when the operator never rotated it. Unset: only <c>rotate-admin-password</c> rotates it. Needs an
    /// <see cref="AdminSecretRef"/> the operator may write (docs/secrets.md, "Rotating a server's admin password").
    /// </summary>
    public string? AdminPasswordRotateEvery { get; set; }

    /// <summary>
    /// How many provisioning, migration, resync or deletion operations run on this server at once, across every worker and
    /// rollout (1-64; the admin connection pool has as many connections). Others wait in line without holding a worker
    /// (<see cref="ServerOperationSlots"/>).
    /// </summary>
    public int MaxConcurrentOperations { get; set; } = 4;
}
