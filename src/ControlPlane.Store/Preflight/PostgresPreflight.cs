using ControlPlane.Store.Connection;
using Npgsql;

namespace ControlPlane.Store.Preflight;

/// <summary>
/// The specification's §8 preflight, shared by tests, the <c>migrate</c> command and CI:
/// PostgreSQL 17 or newer, with pgcrypto available.
/// </summary>
public static class PostgresPreflight
{
    public const int MinimumVersionNumber = 170000;

    private const string FactsSql = """
        SELECT current_setting('server_version_num')::int,
               current_setting('server_version'),
               EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto')
        """;

    /// <summary>Reads the server's facts and throws <see cref="PreflightException"/> when it cannot host the catalog.</summary>
    public static async Task<ServerFacts> CheckAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var facts = await ReadFactsAsync(dataSource, cancellationToken);
        var where = Describe(dataSource);

        if (facts.VersionNumber < MinimumVersionNumber)
        {
            throw new PreflightException(
                $"PostgreSQL 17 or newer is required but {where} runs {facts.Version} (server_version_num {facts.VersionNumber}); " +
                $"point {DatabaseUrl.VariableName} at a PostgreSQL 17 server, or unset it with ENVIRONMENT=dev to use the embedded one.");
        }

        if (!facts.PgcryptoAvailable)
        {
            throw new PreflightException(
                $"The pgcrypto extension is not available on {where} (PostgreSQL {facts.Version}); " +
                "install the server's contrib package (e.g. postgresql-17-contrib) so that CREATE EXTENSION pgcrypto can run.");
        }

        return facts;
    }

    public static async Task<ServerFacts> ReadFactsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(FactsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerFacts(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2));
    }

    private static string Describe(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"the server at {builder.Host}:{builder.Port}";
    }
}
