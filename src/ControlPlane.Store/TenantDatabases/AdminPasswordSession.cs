using Npgsql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// One unpooled session of a tenant database server's admin role, logged in with a password the caller names (not the
/// pool's), for the admin password rotation (issue 16): a login proves which stored password the role accepts, the
/// session holds the advisory lock that keeps rotations of one server one at a time across processes (the operator's
/// leader, a <c>rotate-admin-password</c> run), and changes the admin's own verifier. The lock is a session lock: a
/// process that dies releases it with its connection, so a crash never leaves the server locked.
/// </summary>
public sealed class AdminPasswordSession : IAsyncDisposable
{
    /// <summary>
    /// Advisory lock key (<c>pg_try_advisory_lock(bigint)</c>, in the maintenance database): the eight bytes of
    /// "econt-cp" (ASCII, big-endian), a constant no other user of the server has reason to pick.
    /// </summary>
    public const long LockKey = 0x65636F6E742D6370;

    private const string TryLock = "SELECT pg_try_advisory_lock($1)";

    private readonly NpgsqlConnection _connection;

    private AdminPasswordSession(NpgsqlConnection connection) => _connection = connection;

    /// <summary>
    /// Logs in as the admin with <paramref name="password"/>; null when the server refuses that password (28P01). Any
    /// other failure (unreachable, TLS, too many connections) is thrown: it says nothing about which password is right.
    /// </summary>
    public static async Task<AdminPasswordSession?> TryOpenAsync(NpgsqlConnectionStringBuilder settings, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Password = password, Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return new AdminPasswordSession(connection);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Whether the server accepts <paramref name="password"/> for the admin now: one login, closed at once.</summary>
    public static async Task<bool> AcceptsAsync(NpgsqlConnectionStringBuilder settings, string password, CancellationToken cancellationToken)
    {
        await using var session = await TryOpenAsync(settings, password, cancellationToken);
        return session is not null;
    }

    /// <summary>Takes the rotation lock for this session's life; false when another session holds it.</summary>
    public async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(TryLock, _connection);
        command.Parameters.Add(new() { Value = LockKey });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Gives the admin role the verifier: every role may change its own password, so no privilege beyond LOGIN is used.
    /// The verifier, not the password, travels (a utility statement takes no parameters; the literal is the verifier's
    /// own quoting). Sessions already open, this one included, keep running: PostgreSQL checks a password only at login.
    /// </summary>
    public async Task SetOwnPasswordAsync(ScramVerifier verifier, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        await using var command = new NpgsqlCommand($"ALTER ROLE CURRENT_USER PASSWORD {verifier.ToSqlLiteral()}", _connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
