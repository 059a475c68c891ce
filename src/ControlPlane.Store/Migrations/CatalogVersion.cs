using System.Text.RegularExpressions;
using Npgsql;

namespace ControlPlane.Store.Migrations;

/// <summary>
/// The catalog's applied version against the version a build ships, so the operator and <c>doctor</c> can tell a catalog
/// that still needs <c>migrate</c> (the migrate Job) from one that is current.
/// </summary>
public static partial class CatalogVersion
{
    /// <summary>The newest <c>V&lt;version&gt;__*.sql</c> of the folder, as Evolve records it (<c>V7_1</c> is <c>7.1</c>).</summary>
    public static string? Shipped(string scriptsDirectory) =>
        Directory.Exists(scriptsDirectory)
            ? Directory.EnumerateFiles(scriptsDirectory, "V*__*.sql")
                .Select(f => Versioned().Match(Path.GetFileName(f)))
                .Where(m => m.Success)
                .Select(m => m.Groups[1].Value.Replace('_', '.'))
                .OrderBy(Parse, Comparer<long[]>.Create(Compare))
                .LastOrDefault()
            : null;

    /// <summary>The applied version, or null when the catalog was never migrated (no metadata table).</summary>
    public static async Task<string?> AppliedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection)
        {
            Parameters = { new() { Value = $"{CatalogMigrator.Schema}.{CatalogMigrator.MetadataTable}" } },
        };
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!
            ? await CatalogMigrator.CurrentVersionAsync(connection, cancellationToken)
            : null;
    }

    /// <summary>True when <paramref name="applied"/> is older than <paramref name="shipped"/> (or nothing is applied).</summary>
    public static bool IsBehind(string? applied, string? shipped) =>
        shipped is not null && (applied is null || Compare(Parse(applied), Parse(shipped)) < 0);

    private static long[] Parse(string version) => version.Split('.').Select(long.Parse).ToArray();

    private static int Compare(long[]? left, long[]? right)
    {
        left ??= [];
        right ??= [];
        for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            var difference = (i < left.Length ? left[i] : 0).CompareTo(i < right.Length ? right[i] : 0);
            if (difference != 0)
            {
                return difference;
            }
        }

        return 0;
    }

    [GeneratedRegex(@"^V(\d+(?:_\d+)*)__.+\.sql$")]
    private static partial Regex Versioned();
}
