using System.Text.Json;
using ControlPlane.Core.Secrets;
using Npgsql;

namespace ControlPlane.Store.Catalog;

/// <summary>Maps rows selected with <see cref="CatalogSql.TenantColumns"/> and <see cref="CatalogSql.EventColumns"/>.</summary>
internal static class CatalogRows
{
    public static CatalogTenant ReadTenant(NpgsqlDataReader row) => new(
        Id: row.GetGuid(0),
        Slug: row.GetString(1),
        DisplayName: row.GetString(2),
        DbName: row.GetString(3),
        DbHost: row.GetString(4),
        DbPort: row.GetInt32(5),
        DbUser: row.GetString(6),
        DbSecretRef: SecretReference.Parse(row.GetString(7)),
        SchemaVersion: NullableString(row, 8),
        AppVersion: NullableString(row, 9),
        Status: CatalogTenantStatuses.Parse(row.GetString(10)),
        CreatedAt: row.GetFieldValue<DateTimeOffset>(11),
        UpdatedAt: row.GetFieldValue<DateTimeOffset>(12),
        DeletedAt: row.IsDBNull(13) ? null : row.GetFieldValue<DateTimeOffset>(13),
        BillingPlan: NullableString(row, 14),
        ContactEmail: NullableString(row, 15),
        SuspendedReason: NullableString(row, 16),
        MaintenanceFlag: row.GetBoolean(17),
        Owner: row.IsDBNull(18) ? null : new TenantOwner(row.GetString(18), row.GetString(19), NullableString(row, 20)),
        DbServer: NullableString(row, 21));

    public static TenantEvent ReadEvent(NpgsqlDataReader row)
    {
        JsonElement? payload = null;
        if (!row.IsDBNull(4))
        {
            using var document = JsonDocument.Parse(row.GetString(4));
            payload = document.RootElement.Clone();
        }

        return new TenantEvent(row.GetGuid(0), row.GetGuid(1), row.GetString(2), row.GetString(3), payload, row.GetFieldValue<DateTimeOffset>(5));
    }

    private static string? NullableString(NpgsqlDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
}
