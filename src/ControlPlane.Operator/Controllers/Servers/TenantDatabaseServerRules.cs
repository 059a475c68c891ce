using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Controllers.Servers;

/// <summary>
/// Pure rules of the TenantDatabaseServer reconciler: the resource's spec as the options a server is built from (or
/// every problem at once), its placement profile, and its status.
/// </summary>
public static class TenantDatabaseServerRules
{
    public const string DefaultAdminUser = "postgres";
    public const string DefaultSecretKey = "password";

    /// <summary>The options of the server; null with <paramref name="problems"/> filled when the spec cannot be served.</summary>
    public static TenantDatabaseServerOptions? Options(
        TenantDatabaseServerResource server, string? operatorNamespace, DeploymentEnvironment environment, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(problems);
        var spec = server.Spec;
        if (string.IsNullOrWhiteSpace(spec.Host))
        {
            problems.Add("spec.host is required.");
        }

        if (string.IsNullOrEmpty(operatorNamespace))
        {
            problems.Add("The operator's namespace (POD_NAMESPACE) is unknown, so spec.adminSecretRef cannot be located.");
        }

        var reference = $"k8s:{operatorNamespace}/{spec.AdminSecretRef.Name}#{spec.AdminSecretRef.Key ?? DefaultSecretKey}";
        if (!string.IsNullOrEmpty(operatorNamespace) && !SecretReference.TryParse(reference, out _, out var error))
        {
            problems.Add($"spec.adminSecretRef does not name a Secret key: {error}");
        }

        var tls = DatabaseTls.Read(spec.Tls?.Mode, spec.Tls?.CaFile, environment, "spec.tls", problems);
        return problems.Count > 0 ? null : new TenantDatabaseServerOptions
        {
            Host = spec.Host.Trim(),
            Port = spec.Port ?? 5432,
            AdminUser = spec.AdminUser ?? DefaultAdminUser,
            AdminSecretRef = reference,
            SslMode = tls?.ModeName,
            RootCertificate = tls?.RootCertificate,
            MaxConcurrentOperations = spec.MaxConcurrentOperations ?? new TenantDatabaseServerOptions().MaxConcurrentOperations,
        };
    }

    public static ServerPlacementProfile Profile(TenantDatabaseServerResource server, bool ready, bool deleting) => new(
        ready,
        Draining: server.Spec.Draining == true || deleting,
        server.Spec.MaxTenants,
        (IReadOnlyDictionary<string, string>?)server.Metadata.Labels ?? new Dictionary<string, string>());

    /// <summary>The status after a probe (or a refusal); equal inputs give an equal status, so a steady server writes nothing.</summary>
    public static TenantDatabaseServerStatus Status(
        TenantDatabaseServerResource server, ServerProbe probe, int tenants, TenantDatabaseServerReadyReason reason, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(probe);
        var generation = server.Metadata.Generation;
        return new TenantDatabaseServerStatus
        {
            ObservedGeneration = generation,
            Reachable = probe.Reachable,
            AdminPrivilegesVerified = probe.PrivilegesVerified,
            PostgresVersion = probe.Version ?? server.Status.PostgresVersion,
            TenantsPlaced = tenants,
            Conditions = Conditions.Set(server.Status.Conditions, TenantDatabaseServerConditions.Ready,
                reason == TenantDatabaseServerReadyReason.Verified ? Conditions.True : Conditions.False, reason.ToWire(), message, generation, now),
        };
    }
}

/// <summary>What one probe of the server found (nulls: not reached that far).</summary>
public sealed record ServerProbe(bool? Reachable, bool? PrivilegesVerified, string? Version)
{
    public static ServerProbe None { get; } = new(null, null, null);
}
