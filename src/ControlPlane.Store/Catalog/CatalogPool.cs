using Npgsql;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// The operator's connection pool to the catalog. <see cref="TenantCatalog"/> leaves no session state behind (no SET,
/// temporary table or session-level lock: each write is one transaction), so a connection is reused without the
/// <c>DISCARD ALL</c> Npgsql otherwise sends before every reuse, and a healthy tenant's resync costs one statement, not
/// two (issue 18). Whoever opens a connection from this pool for session state (LISTEN, Evolve's migrations) must undo
/// it before closing, or use a pool of its own.
/// </summary>
public static class CatalogPool
{
    public static NpgsqlDataSource Create(string connectionString) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString);
}
