using System.Text.Json.Serialization;
using ControlPlane.Core.Wire;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// A PostgreSQL server that hosts tenant databases (<c>tenantdatabaseservers.controlplane.econt.io/v1alpha1</c>,
/// cluster-scoped): where it is, how the operator logs in, how many tenants it takes, and whether it takes new ones.
/// Named apart from <c>Provisioning.TenantDatabaseServer</c> (the live admin connection built from it). The CRD in
/// config/crds describes the same fields; ADR-CP-010 the model.
/// </summary>
public sealed class TenantDatabaseServerResource : IKubernetesObject<V1ObjectMeta>, ISpec<TenantDatabaseServerSpec>, IStatus<TenantDatabaseServerStatus>
{
    public const string KindName = "TenantDatabaseServer";
    public const string Plural = "tenantdatabaseservers";

    /// <summary>Held while tenants live on the server: deleting it then waits, with <c>Ready=False DeletionBlocked</c>.</summary>
    public const string Finalizer = "controlplane.econt.io/tenant-database-server";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Tenant.ApiGroup}/{Tenant.ApiVersionName}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TenantDatabaseServerSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public TenantDatabaseServerStatus Status { get; set; } = new();
}

/// <summary>Where the server is and what it may take. Placement labels are the object's own <c>metadata.labels</c>.</summary>
public sealed class TenantDatabaseServerSpec
{
    [JsonPropertyName("host")]
    public string Host { get; set; } = "";

    [JsonPropertyName("port")]
    public int? Port { get; set; }

    /// <summary>The administrator role (CREATEDB, CREATEROLE); the CRD defaults it to <c>postgres</c>.</summary>
    [JsonPropertyName("adminUser")]
    public string? AdminUser { get; set; }

    /// <summary>The administrator's password: a key of a Secret in the operator's own namespace.</summary>
    [JsonPropertyName("adminSecretRef")]
    public SecretKeyReference AdminSecretRef { get; set; } = new();

    [JsonPropertyName("tls")]
    public TenantDatabaseServerTlsSpec? Tls { get; set; }

    /// <summary>At most this many live tenants are placed here (explicitly named tenants are not refused).</summary>
    [JsonPropertyName("maxTenants")]
    public int? MaxTenants { get; set; }

    /// <summary>Informational capacity (GB) shown to operators; not enforced.</summary>
    [JsonPropertyName("maxDatabaseSizeGb")]
    public int? MaxDatabaseSizeGb { get; set; }

    /// <summary>At most this many provisioning, migration or deletion operations at once on the server (issue 17 item 3).</summary>
    [JsonPropertyName("maxConcurrentOperations")]
    public int? MaxConcurrentOperations { get; set; }

    /// <summary>True: no new tenants are placed here; those living here stay and are served.</summary>
    [JsonPropertyName("draining")]
    public bool? Draining { get; set; }
}

/// <summary>A key of a Secret in the operator's namespace.</summary>
public sealed class SecretKeyReference
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("key")]
    public string? Key { get; set; }
}

/// <summary>TLS to the server: libpq's sslmode and the CA bundle its certificate must chain to.</summary>
public sealed class TenantDatabaseServerTlsSpec
{
    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    /// <summary>Path of a PEM CA bundle mounted into the operator's pod; unset means the system trust store.</summary>
    [JsonPropertyName("caFile")]
    public string? CaFile { get; set; }
}

/// <summary>What the operator observed of the server; rebuilt on every probe.</summary>
public sealed class TenantDatabaseServerStatus
{
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    /// <summary>The admin role logged in (TLS as configured) on the last probe.</summary>
    [JsonPropertyName("reachable")]
    public bool? Reachable { get; set; }

    /// <summary>The admin role has CREATEDB and CREATEROLE (and is not a superuser, which the operator does not need).</summary>
    [JsonPropertyName("adminPrivilegesVerified")]
    public bool? AdminPrivilegesVerified { get; set; }

    [JsonPropertyName("postgresVersion")]
    public string? PostgresVersion { get; set; }

    /// <summary>Live tenants the catalog records on this server.</summary>
    [JsonPropertyName("tenantsPlaced")]
    public int? TenantsPlaced { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>The server's condition, declared once (Argo CD's health check reads it).</summary>
public static class TenantDatabaseServerConditions
{
    /// <summary>True when the server takes tenants: reachable, admin privileges verified, served under this name; its reason is a <see cref="TenantDatabaseServerReadyReason"/>.</summary>
    public const string Ready = "Ready";
}

/// <summary>Why a TenantDatabaseServer is (not) Ready: the reason of its condition; Argo CD's health check reads the wire values.</summary>
public enum TenantDatabaseServerReadyReason
{
    /// <summary>Reachable with the privileges the operator needs; placement may use it (unless draining or full).</summary>
    Verified,

    /// <summary>The spec cannot be served (host, port, secret name, TLS mode); the message says what to fix.</summary>
    InvalidSpec,

    /// <summary>A bootstrap server of the operator's configuration has this name and keeps it (ADR-CP-010).</summary>
    NameTakenByConfiguration,

    /// <summary>The server cannot be reached, refused the admin's login, or failed TLS; probed again periodically.</summary>
    Unreachable,

    /// <summary>The admin role lacks CREATEDB or CREATEROLE.</summary>
    PrivilegesMissing,

    /// <summary>Deletion waits until no live tenant is placed on the server any more; the message counts them.</summary>
    DeletionBlocked,
}

/// <summary>
/// The wire value of each <see cref="TenantDatabaseServerReadyReason"/> (its name), and back.
/// As for every reason type (<see cref="TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below, is the only
/// way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class TenantDatabaseServerReadyReasons
{
    public static string ToWire(this TenantDatabaseServerReadyReason reason) => reason switch
    {
        TenantDatabaseServerReadyReason.Verified => "Verified",
        TenantDatabaseServerReadyReason.InvalidSpec => "InvalidSpec",
        TenantDatabaseServerReadyReason.NameTakenByConfiguration => "NameTakenByConfiguration",
        TenantDatabaseServerReadyReason.Unreachable => "Unreachable",
        TenantDatabaseServerReadyReason.PrivilegesMissing => "PrivilegesMissing",
        TenantDatabaseServerReadyReason.DeletionBlocked => "DeletionBlocked",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out TenantDatabaseServerReadyReason reason) => WireValues.TryParse(wire, ToWire, out reason);
}
