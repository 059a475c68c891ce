namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// A tenant schema migration was refused or failed; <see cref="Kind"/> says which. The message is safe to show (it never
/// contains credentials).
/// </summary>
public sealed class SchemaMigrationException(SchemaMigrationFailureKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Which refusal or failure; the operator maps every kind to its own condition reason.</summary>
    public SchemaMigrationFailureKind Kind { get; } = kind;
}

/// <summary>Why a tenant schema migration did not happen.</summary>
public enum SchemaMigrationFailureKind
{
    /// <summary>The requested version is not one the operator ships. Refused until the spec changes.</summary>
    UnknownVersion,

    /// <summary>The requested version is older than the database's; there are no down-migrations. Refused until the spec changes.</summary>
    DowngradeRefused,

    /// <summary>A migration script failed; worth retrying.</summary>
    Failed,
}
