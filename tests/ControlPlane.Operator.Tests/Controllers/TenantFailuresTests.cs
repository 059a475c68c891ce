using System.Net;
using System.Security.Authentication;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using k8s.Autorest;
using Npgsql;

namespace ControlPlane.Operator.Tests.Controllers;

/// <summary>The classifier, class by class: every failure gets a <see cref="TenantReadyReason"/> and a retry policy.</summary>
public sealed class TenantFailuresTests
{
    private static readonly SecretReference Reference = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password");

    /// <summary>SQLSTATE on a tenant database server → reason and retry.</summary>
    public static TheoryData<string, TenantReadyReason, FailureRetry> ServerStates => new()
    {
        { "08006", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "08001", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "28P01", TenantReadyReason.DatabaseAuthenticationFailed, FailureRetry.Backoff },
        { "28000", TenantReadyReason.DatabaseAuthenticationFailed, FailureRetry.Backoff },
        { "42501", TenantReadyReason.DatabasePermissionDenied, FailureRetry.Backoff },
        { "53300", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "53100", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "57P01", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "57P03", TenantReadyReason.DatabaseServerUnavailable, FailureRetry.Backoff },
        { "3D000", TenantReadyReason.DatabaseOperationFailed, FailureRetry.Immediately },
        { "40001", TenantReadyReason.DatabaseContention, FailureRetry.Immediately },
        { "40P01", TenantReadyReason.DatabaseContention, FailureRetry.Immediately },
        { "55P03", TenantReadyReason.DatabaseContention, FailureRetry.Immediately },
        { "23505", TenantReadyReason.DatabaseContention, FailureRetry.Immediately },
        { "2BP01", TenantReadyReason.DatabaseOperationFailed, FailureRetry.Backoff },
        { "42P07", TenantReadyReason.DatabaseOperationFailed, FailureRetry.Backoff },
    };

    [Theory]
    [MemberData(nameof(ServerStates))]
    public void A_tenant_server_error_is_named_by_its_SQLSTATE(string sqlState, TenantReadyReason reason, FailureRetry retry)
    {
        var failure = TenantFailures.OfServer("default", "db.internal", 5432, "sslmode verify-full", Postgres(sqlState));

        Assert.Equal((reason, retry, true), (failure.Reason, failure.Retry, failure.InCatalog));
        Assert.Contains(sqlState, failure.Message, StringComparison.Ordinal);
        Assert.Contains("'default'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transport_failure_reads_the_same_whatever_the_socket_said()
    {
        var refused = TenantFailures.OfServer("default", "db", 5432, "sslmode disable", new NpgsqlException("Connection refused", new IOException("refused")));
        var reset = TenantFailures.OfServer("default", "db", 5432, "sslmode disable", new NpgsqlException("Exception while reading from stream", new IOException("reset by peer")));

        Assert.Equal(TenantReadyReason.DatabaseServerUnavailable, refused.Reason);
        Assert.Equal(refused, reset);
    }

    [Fact]
    public void A_refused_certificate_is_a_TLS_failure_naming_the_settings()
    {
        var error = new NpgsqlException("Exception while connecting", new AuthenticationException("The remote certificate was rejected: RemoteCertificateNameMismatch"));

        var failure = TenantFailures.OfServer("secure", "127.0.0.1", 5433, "sslmode verify-full, CA /ca.crt", error);

        Assert.Equal((TenantReadyReason.DatabaseServerTlsFailed, FailureRetry.Backoff), (failure.Reason, failure.Retry));
        Assert.Contains("RemoteCertificateNameMismatch", failure.Message, StringComparison.Ordinal);
        Assert.Contains("CA /ca.crt", failure.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, TenantReadyReason, FailureRetry> CatalogStates => new()
    {
        { "08006", TenantReadyReason.CatalogUnavailable, FailureRetry.Backoff },
        { "28P01", TenantReadyReason.CatalogUnavailable, FailureRetry.Backoff },
        { "57P01", TenantReadyReason.CatalogUnavailable, FailureRetry.Backoff },
        { "40001", TenantReadyReason.DatabaseContention, FailureRetry.Immediately },
        { "22021", TenantReadyReason.CatalogRefused, FailureRetry.Backoff },
        { "23514", TenantReadyReason.CatalogRefused, FailureRetry.Backoff },
    };

    [Theory]
    [MemberData(nameof(CatalogStates))]
    public void A_bare_Npgsql_error_is_the_catalog_s_and_is_never_recorded_in_it(string sqlState, TenantReadyReason reason, FailureRetry retry)
    {
        var failure = TenantFailures.Classify(Postgres(sqlState));

        Assert.Equal((reason, retry, false), (failure.Reason, failure.Retry, failure.InCatalog));
    }

    [Fact]
    public void A_catalog_that_cannot_be_reached_is_CatalogUnavailable() =>
        Assert.Equal(TenantReadyReason.CatalogUnavailable, TenantFailures.Classify(new NpgsqlException("Connection refused")).Reason);

    public static TheoryData<SecretStoreException, TenantReadyReason, FailureRetry> SecretErrors => new()
    {
        { new SecretNotFoundException("Secret tenant-acme-db not found.", Reference), TenantReadyReason.SecretNotFound, FailureRetry.Recheck },
        { new SecretAccessDeniedException("Forbidden.", Reference), TenantReadyReason.SecretAccessDenied, FailureRetry.Recheck },
        { new SecretBackendUnavailableException("Vault sealed (HTTP 503).", Reference), TenantReadyReason.SecretUnavailable, FailureRetry.Backoff },
        { new SecretOwnershipException("Not created by the operator.", Reference), TenantReadyReason.SecretUnavailable, FailureRetry.Recheck },
    };

    [Theory]
    [MemberData(nameof(SecretErrors))]
    public void A_secret_store_error_is_named_by_its_type(SecretStoreException error, TenantReadyReason reason, FailureRetry retry)
    {
        var failure = TenantFailures.Classify(error);

        Assert.Equal((reason, retry, error.Message), (failure.Reason, failure.Retry, failure.Message));
    }

    public static TheoryData<HttpStatusCode, FailureRetry> KubernetesStatuses => new()
    {
        { HttpStatusCode.Conflict, FailureRetry.Immediately },
        { HttpStatusCode.NotFound, FailureRetry.Immediately },
        { HttpStatusCode.Gone, FailureRetry.Immediately },
        { HttpStatusCode.Forbidden, FailureRetry.Backoff },
        { HttpStatusCode.TooManyRequests, FailureRetry.Backoff },
        { HttpStatusCode.InternalServerError, FailureRetry.Backoff },
        { HttpStatusCode.ServiceUnavailable, FailureRetry.Backoff },
    };

    [Theory]
    [MemberData(nameof(KubernetesStatuses))]
    public void A_Kubernetes_API_error_is_named_and_retried_by_its_status(HttpStatusCode status, FailureRetry retry)
    {
        using var response = new HttpResponseMessage(status);
        var error = new HttpOperationException($"Operation returned an invalid status code '{status}'") { Response = new HttpResponseMessageWrapper(response, "") };

        var failure = TenantFailures.Classify(error);

        Assert.Equal((TenantReadyReason.KubernetesApiFailed, retry), (failure.Reason, failure.Retry));
    }

    [Fact]
    public void An_expired_watch_version_is_a_Kubernetes_failure_retried_at_once() =>
        Assert.Equal((TenantReadyReason.KubernetesApiFailed, FailureRetry.Immediately),
            (TenantFailures.Classify(new ResourceExpiredException("410")).Reason, TenantFailures.Classify(new ResourceExpiredException("410")).Retry));

    [Fact]
    public void Conflicts_need_a_human_and_are_shown_at_once()
    {
        var slug = TenantFailures.Classify(new SlugTakenException("acme"));
        var database = TenantFailures.Classify(new DatabaseNameTakenException("acme"));
        var marks = TenantFailures.Classify(new TenantDatabaseConflictException(TenantDatabaseConflictKind.RoleNotOwned, "Role acme is not this tenant's."));

        Assert.Equal((TenantReadyReason.SlugConflict, FailureRetry.Recheck, true), (slug.Reason, slug.Retry, slug.NeedsHuman));
        Assert.Equal((TenantReadyReason.DatabaseNameConflict, FailureRetry.Recheck), (database.Reason, database.Retry));
        Assert.Equal((TenantReadyReason.DatabaseConflict, FailureRetry.Recheck), (marks.Reason, marks.Retry));
    }

    [Fact]
    public void A_failed_migration_backs_off_and_a_refused_version_waits_for_the_spec()
    {
        var failed = TenantFailures.Classify(new SchemaMigrationException(SchemaMigrationFailureKind.Failed, "V2 failed: 42P01"));
        var downgrade = TenantFailures.Classify(new SchemaMigrationException(SchemaMigrationFailureKind.DowngradeRefused, "no down-migrations"));
        var unknown = TenantFailures.Classify(new SchemaMigrationException(SchemaMigrationFailureKind.UnknownVersion, "no such version"));

        Assert.Equal((TenantReadyReason.SchemaMigrationFailed, FailureRetry.Backoff, false), (failed.Reason, failed.Retry, failed.NeedsHuman));
        Assert.Equal((TenantReadyReason.SchemaDowngradeRefused, FailureRetry.UntilSpecChanges), (downgrade.Reason, downgrade.Retry));
        Assert.Equal((TenantReadyReason.UnknownSchemaVersion, FailureRetry.UntilSpecChanges), (unknown.Reason, unknown.Retry));
    }

    [Fact]
    public void A_tenant_server_exception_carries_its_classification()
    {
        var failure = TenantFailures.OfServer("default", "db", 5432, "sslmode disable", Postgres("42501"));

        Assert.Same(failure, TenantFailures.Classify(new TenantServerException(failure, Postgres("42501"))));
    }

    [Fact]
    public void Anything_else_is_ReconcileFailed_with_its_type_and_no_credentials()
    {
        var failure = TenantFailures.Classify(new OverflowException("Value was too large; dsn password=hunter2 host=db"));

        Assert.Equal((TenantReadyReason.ReconcileFailed, FailureRetry.Backoff, true), (failure.Reason, failure.Retry, failure.InCatalog));
        Assert.Contains("OverflowException", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure.Message, StringComparison.Ordinal);
    }

    private static PostgresException Postgres(string sqlState) => new("the server said no", "ERROR", "ERROR", sqlState);
}
