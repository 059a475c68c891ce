using System.Net;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using k8s.Autorest;
using Npgsql;

namespace ControlPlane.Operator.Controllers;

/// <summary>How a failure is retried.</summary>
public enum FailureRetry
{
    /// <summary>A race the next attempt resolves (serialization failure, deadlock, a stale write): retried at once.</summary>
    Immediately,

    /// <summary>Something outside that recovers by itself (a server down, a backend throttling): exponential backoff.</summary>
    Backoff,

    /// <summary>Something a human must change outside the spec (a name taken, a secret missing): looked at again periodically.</summary>
    Recheck,

    /// <summary>Only a spec change can fix it: not retried until the object changes.</summary>
    UntilSpecChanges,
}

/// <summary>A failure with its name: the Ready condition's reason, a message fit for status and the catalog, and how it is retried.</summary>
/// <param name="Reason">The Ready condition's reason.</param>
/// <param name="Message">Stable for one problem, free of secrets.</param>
/// <param name="Retry">How the reconcile is retried.</param>
/// <param name="InCatalog">False for failures of the catalog itself, which cannot record them.</param>
public sealed record TenantFailure(TenantReadyReason Reason, string Message, FailureRetry Retry, bool InCatalog = true)
{
    /// <summary>Shown at once (a human must act); other failures are shown once they repeat past the threshold.</summary>
    public bool NeedsHuman => Retry is FailureRetry.Recheck or FailureRetry.UntilSpecChanges;
}

/// <summary>
/// The one classifier of the Tenant reconciler's failures: every exception maps to a typed reason and a retry policy, so
/// no failure loops unnamed. Pure: no I/O, no clock; messages are stable for one problem (conditions and catalog
/// events do not churn with a socket's wording) and carry no secret (exception text of unknown origin is redacted).
/// </summary>
public static class TenantFailures
{
    // SQLSTATEs and classes (PostgreSQL appendix A) with a meaning of their own here.
    private const string ConnectionClass = "08";
    private const string InvalidAuthorizationClass = "28";
    private const string InsufficientResourcesClass = "53";
    private const string OperatorInterventionClass = "57";
    private const string InvalidCatalogName = "3D000";

    /// <summary>Any failure of a reconcile. Tenant server failures arrive as <see cref="TenantServerException"/>, so a bare Npgsql error is the catalog's.</summary>
    public static TenantFailure Classify(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            TenantServerException server => server.Failure,
            SlugTakenException slug => new(TenantReadyReason.SlugConflict,
                $"The slug '{slug.Slug}' belongs to another live tenant (compared case-insensitively); nothing was changed.", FailureRetry.Recheck),
            DatabaseNameTakenException database => new(TenantReadyReason.DatabaseNameConflict,
                $"The database name '{database.DbName}' belongs to another live tenant; set spec.database.name. Nothing was changed.", FailureRetry.Recheck),
            OwnerTakenException owner => new(TenantReadyReason.DatabaseConflict, owner.Message, FailureRetry.Recheck),
            TenantDatabaseConflictException conflict => new(TenantReadyReason.DatabaseConflict, conflict.Message, FailureRetry.Recheck),
            SchemaMigrationException migration => OfSchemaMigration(migration),
            SecretStoreException secret => OfSecretStore(secret),
            NpgsqlException catalog => OfCatalog(catalog),
            HttpOperationException or ResourceExpiredException => OfKubernetes(error),
            HttpRequestException => new(TenantReadyReason.KubernetesApiFailed, "The Kubernetes API server cannot be reached.", FailureRetry.Backoff),
            TimeoutException or OperationCanceledException => new(TenantReadyReason.ReconcileFailed, "An operation timed out.", FailureRetry.Backoff),
            _ => new(TenantReadyReason.ReconcileFailed, $"Unexpected {error.GetType().Name}: {SecretRedactor.Redact(error.Message)}", FailureRetry.Backoff),
        };
    }

    /// <summary>The store's migration refusals and failures under the operator's reasons: a failed script is retried, a refusal waits for the spec.</summary>
    private static TenantFailure OfSchemaMigration(SchemaMigrationException migration) => migration.Kind switch
    {
        SchemaMigrationFailureKind.UnknownVersion => new(TenantReadyReason.UnknownSchemaVersion, migration.Message, FailureRetry.UntilSpecChanges),
        SchemaMigrationFailureKind.DowngradeRefused => new(TenantReadyReason.SchemaDowngradeRefused, migration.Message, FailureRetry.UntilSpecChanges),
        SchemaMigrationFailureKind.Failed => new(TenantReadyReason.SchemaMigrationFailed, migration.Message, FailureRetry.Backoff),
    };

    /// <summary>
    /// A failure of tenant database server <paramref name="server"/> (<paramref name="host"/>:<paramref name="port"/>,
    /// <paramref name="tls"/> describing its TLS settings for the message).
    /// </summary>
    public static TenantFailure OfServer(string server, string host, int port, string tls, NpgsqlException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (TlsFailure(error) is { } why)
        {
            return new(TenantReadyReason.DatabaseServerTlsFailed,
                $"TLS to tenant database server '{server}' ({host}:{port}, {tls}) failed: {why}", FailureRetry.Backoff);
        }

        var at = $"Tenant database server '{server}' ({host}:{port})";
        if (error is not PostgresException postgres)
        {
            return new(TenantReadyReason.DatabaseServerUnavailable, $"{at} failed: {Describe(error)}", FailureRetry.Backoff);
        }

        return postgres.SqlState switch
        {
            PostgresErrorCodes.InsufficientPrivilege => new(TenantReadyReason.DatabasePermissionDenied,
                $"The admin role of tenant database server '{server}' lacks a privilege (it needs CREATEDB and CREATEROLE, see docs/lifecycle.md): {Describe(error)}",
                FailureRetry.Backoff),
            var state when state.StartsWith(InvalidAuthorizationClass, StringComparison.Ordinal) => new(TenantReadyReason.DatabaseAuthenticationFailed,
                $"{at} refused the admin role's login ({Describe(error)}); check the admin user and its secret.", FailureRetry.Backoff),
            var state when IsUnavailable(state) => new(TenantReadyReason.DatabaseServerUnavailable, $"{at} failed: {Describe(error)}", FailureRetry.Backoff),
            var state when IsContention(state) => new(TenantReadyReason.DatabaseContention,
                $"{at}: a concurrent change got in the way ({Describe(error)}); retried.", FailureRetry.Immediately),

            // The tenant database vanished between observing and using it (dropped by hand): the next pass observes again.
            InvalidCatalogName => new(TenantReadyReason.DatabaseOperationFailed, $"{at} refused a statement: {Describe(error)}", FailureRetry.Immediately),
            _ => new(TenantReadyReason.DatabaseOperationFailed, $"{at} refused a statement: {Describe(error)}", FailureRetry.Backoff),
        };
    }

    /// <summary>A failure of the control-plane catalog: never recorded in the catalog itself.</summary>
    public static TenantFailure OfCatalog(NpgsqlException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            PostgresException postgres when IsContention(postgres.SqlState) => new(TenantReadyReason.DatabaseContention,
                $"The control-plane catalog: a concurrent change got in the way ({Describe(error)}); retried.", FailureRetry.Immediately, InCatalog: false),
            PostgresException postgres when !IsUnavailable(postgres.SqlState) && !postgres.SqlState.StartsWith(InvalidAuthorizationClass, StringComparison.Ordinal) =>
                new(TenantReadyReason.CatalogRefused, $"The control-plane catalog refused a statement: {Describe(error)}", FailureRetry.Backoff, InCatalog: false),
            _ => new(TenantReadyReason.CatalogUnavailable, $"The control-plane catalog cannot be reached: {Describe(error)}", FailureRetry.Backoff, InCatalog: false),
        };
    }

    /// <summary>Secret store failures: the store's messages name the reference and what to do, never a secret (ControlPlane.Secrets).</summary>
    public static TenantFailure OfSecretStore(SecretStoreException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            SecretNotFoundException => new(TenantReadyReason.SecretNotFound, error.Message, FailureRetry.Recheck),
            SecretAccessDeniedException => new(TenantReadyReason.SecretAccessDenied, error.Message, FailureRetry.Recheck),
            { IsTransient: true } => new(TenantReadyReason.SecretUnavailable, error.Message, FailureRetry.Backoff),
            _ => new(TenantReadyReason.SecretUnavailable, error.Message, FailureRetry.Recheck),
        };
    }

    /// <summary>
    /// Kubernetes API failures: a conflict (stale resourceVersion), a vanished object or an expired version is resolved by
    /// the next pass reading the object again; forbidden (RBAC), throttling and server errors back off.
    /// </summary>
    public static TenantFailure OfKubernetes(Exception error)
    {
        var status = error is ResourceExpiredException ? HttpStatusCode.Gone : (error as HttpOperationException)?.Response?.StatusCode;
        var retry = status is HttpStatusCode.Conflict or HttpStatusCode.NotFound or HttpStatusCode.Gone ? FailureRetry.Immediately : FailureRetry.Backoff;
        var what = status switch
        {
            HttpStatusCode.Forbidden => "forbidden: the operator's RBAC does not grant this call (see config/rbac)",
            HttpStatusCode.Conflict => "a conflict: the object changed meanwhile",
            HttpStatusCode.NotFound => "not found: the object is gone",
            HttpStatusCode.Gone => "gone: the resource version expired",
            HttpStatusCode.TooManyRequests => "too many requests",
            null => "no answer",
            _ => $"HTTP {(int)status}",
        };
        return new(TenantReadyReason.KubernetesApiFailed, $"The Kubernetes API answered {what}.", retry);
    }

    /// <summary>
    /// Why TLS failed, in stable words (the chain, the name, or no TLS at all), or null for any other failure. The
    /// certificate check's own message says which: "…because of errors in the certificate chain: UntrustedRoot" or
    /// "…RemoteCertificateNameMismatch".
    /// </summary>
    public static string? TlsFailure(NpgsqlException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        for (Exception? inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException authentication)
            {
                return authentication.Message;
            }
        }

        // Npgsql's words when the server answers the TLS request with "no": the mode demands TLS and the server has none.
        return error is not PostgresException && error.Message.Contains("SSL", StringComparison.Ordinal) && error.Message.Contains("not", StringComparison.OrdinalIgnoreCase)
            ? "the server does not offer TLS"
            : null;
    }

    /// <summary>
    /// A stable description: the same outage must read the same on every retry, so that conditions and the catalog's
    /// error events do not churn with the socket layer's wording.
    /// </summary>
    /// <remarks>
    /// Transport failures of one outage surface in several shapes (refused, reset, closed mid-handshake, timed out); the
    /// condition says only that the server is unreachable, and the exception with its detail goes to the log.
    /// </remarks>
    public static string Describe(NpgsqlException error) => error switch
    {
        PostgresException postgres => $"{postgres.SqlState}: {postgres.MessageText}",
        _ => "unreachable (connection refused, closed or timed out)",
    };

    /// <summary>Connection exceptions, insufficient resources, operator intervention (shutdown, crash, cancel).</summary>
    private static bool IsUnavailable(string sqlState) =>
        sqlState.StartsWith(ConnectionClass, StringComparison.Ordinal)
        || sqlState.StartsWith(InsufficientResourcesClass, StringComparison.Ordinal)
        || sqlState.StartsWith(OperatorInterventionClass, StringComparison.Ordinal);

    /// <summary>Serialization failure, deadlock, lock not available, and a unique key taken by a concurrent CREATE.</summary>
    private static bool IsContention(string sqlState) =>
        sqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.UniqueViolation;
}
