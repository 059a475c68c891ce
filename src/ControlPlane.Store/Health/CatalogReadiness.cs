using Npgsql;

namespace ControlPlane.Store.Health;

/// <summary>What <c>/readyz</c> asks of the catalog: that it answers at all.</summary>
public static class CatalogReadiness
{
    /// <summary>
    /// True when the catalog answers a trivial query; false when it cannot be reached or refuses the connection (an
    /// <see cref="NpgsqlException"/>). Cancellation and other failures propagate.
    /// </summary>
    public static async Task<bool> AnswersAsync(NpgsqlDataSource catalog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        try
        {
            await using var command = catalog.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}
