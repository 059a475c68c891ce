using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using Npgsql;

namespace ControlPlane.Client;

/// <summary>
/// How to reach one tenant's database. The password is a <see cref="SecretValue"/>, so logging or printing this
/// object never shows it; the only ways to the characters are <see cref="Password"/>.<see cref="SecretValue.Reveal"/>
/// and <see cref="RevealConnectionString"/>, named so each place a credential leaves the process stands out in review.
/// </summary>
/// <para>
/// <see cref="Tls"/> is the tenant database server's TLS setting (mode and CA bundle), so the application connects the
/// way the operator does; null when the resolver knows none for that server (then Npgsql's default applies).
/// </para>
public sealed record TenantConnection(
    Guid TenantId, string Slug, string Host, int Port, string Database, string User, SecretValue Password, DatabaseTls? Tls = null)
{
    /// <summary>A ready Npgsql connection string, password included. Call only where it is handed to Npgsql or to the caller.</summary>
    public string RevealConnectionString() => ConnectionString(Password.Reveal());

    /// <summary>The same connection string with the password shown as <see cref="SecretValue.Redacted"/>, for display.</summary>
    public string MaskedConnectionString() => ConnectionString(SecretValue.Redacted);

    /// <summary>The connection without its password, e.g. <c>app@db.internal:5432/tenant_acme</c>.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}/{Database} (password {SecretValue.Redacted})";

    private string ConnectionString(string password)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            Password = password,
        };
        Tls?.ApplyTo(builder);
        return builder.ConnectionString;
    }
}
