using System.Net;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.Migrations;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>One line of <c>doctor</c>: what was checked, whether it holds, what was seen, and what to do when it does not.</summary>
internal sealed record DoctorCheck(string Name, bool Passed, string Detail, string? Hint = null);

/// <summary>
/// The checks of <c>doctor</c>. Each reads the world and never changes it (the secret probe reads a name no tenant can
/// have); each failure carries a hint an operator can act on.
/// </summary>
internal static class DoctorChecks
{
    /// <summary>A slug no Tenant can have (slugs are lower-case DNS labels without this prefix rule): its secret never exists.</summary>
    internal const string ProbeSlug = "doctor-probe";

    public static async Task<DoctorCheck> CatalogAsync(NpgsqlDataSource catalog, string scriptsDirectory, string where, CancellationToken cancellationToken)
    {
        const string name = "catalog";
        var shipped = CatalogVersion.Shipped(scriptsDirectory);
        try
        {
            var applied = await CatalogVersion.AppliedAsync(catalog, cancellationToken);
            return CatalogVersion.IsBehind(applied, shipped)
                ? new DoctorCheck(name, false, $"{where} is at version {applied ?? "none (never migrated)"}; this build needs {shipped}",
                    "run `controlplane migrate` (on a cluster: the controlplane-migrate Job of config/migrate)")
                : new DoctorCheck(name, true, $"{where} reachable, migrated to version {applied} (this build ships {shipped})");
        }
        catch (NpgsqlException e)
        {
            return new DoctorCheck(name, false, $"{where} unreachable: {e.Message}", "check CONTROL_PLANE_DATABASE_URL, the network and the role's password");
        }
    }

    public static async Task<DoctorCheck> TenantServerAsync(TenantDatabaseServer server, bool devSuperuserAllowed, CancellationToken cancellationToken)
    {
        var name = $"tenant server {server.Name}";
        var where = $"{server.AdminUser}@{server.Host}:{server.Port}";
        try
        {
            var (superuser, createDb, createRole, ssl) = await server.Administrator.AdminFactsAsync(cancellationToken);
            var seen = $"{where} ({(ssl ? "TLS" : "no TLS")}): {(superuser ? "SUPERUSER" : "not superuser")}, "
                       + $"{(createDb ? "CREATEDB" : "no CREATEDB")}, {(createRole ? "CREATEROLE" : "no CREATEROLE")}";
            if (superuser && devSuperuserAllowed)
            {
                return new DoctorCheck(name, true, seen + " (the embedded dev server's loopback superuser: dev only)");
            }

            return !superuser && createDb && createRole
                ? new DoctorCheck(name, true, seen)
                : new DoctorCheck(name, false, seen,
                    $"ALTER ROLE {server.AdminUser} LOGIN CREATEDB CREATEROLE NOSUPERUSER; (the exact grants: docs/lifecycle.md)");
        }
        catch (NpgsqlException e)
        {
            return new DoctorCheck(name, false, $"{where} unreachable: {e.Message}", "check Operator__TenantDatabaseServers__<name>__Host/Port and the network");
        }
        catch (SecretStoreException e)
        {
            return new DoctorCheck(name, false, $"{where}: the admin password cannot be read: {e.Message}",
                "create the admin Secret (README, \"On a cluster\") or fix AdminSecretRef");
        }
    }

    public static async Task<DoctorCheck> SecretBackendAsync(ISecretStore secrets, SecretReferencePlanner planner, CancellationToken cancellationToken)
    {
        const string name = "secret backend";
        var probe = planner.ForTenantDatabase(ProbeSlug);
        try
        {
            await secrets.ReadAsync(probe, cancellationToken);
            return new DoctorCheck(name, true, $"{probe.Backend}: reachable, read allowed");
        }
        catch (SecretNotFoundException)
        {
            return new DoctorCheck(name, true, $"{probe.Backend}: reachable, read allowed (write rights: see the RBAC checks for k8s, the Vault policy for vault)");
        }
        catch (SecretStoreException e)
        {
            return new DoctorCheck(name, false, $"{probe.Backend}: {e.Message}",
                "check SECRET_MANAGER_BACKEND / SECRET_MANAGER_ENDPOINT and the operator's rights there (docs/secrets.md)");
        }
    }

    /// <summary>Every CRD this build ships must be installed with the same versions (served, storage) and the same spec fields.</summary>
    public static async Task<List<DoctorCheck>> CrdsAsync(IKubernetes kubernetes, string shippedDirectory, CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        foreach (var file in Directory.EnumerateFiles(shippedDirectory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var shipped = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, cancellationToken));
            var name = $"CRD {shipped.Metadata.Name}";
            V1CustomResourceDefinition installed;
            try
            {
                installed = await kubernetes.ApiextensionsV1.ReadCustomResourceDefinitionAsync(shipped.Metadata.Name, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                checks.Add(new DoctorCheck(name, false, "not installed", "kubectl apply -k config/crds (or config/default)"));
                continue;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                checks.Add(new DoctorCheck(name, false, "cannot be read as this identity (403 Forbidden)",
                    "kubectl apply -k config/rbac from this release (the operator's ClusterRole may get these CRDs)"));
                continue;
            }

            var expected = Shape(shipped);
            var actual = Shape(installed);
            checks.Add(expected == actual
                ? new DoctorCheck(name, true, $"installed as shipped ({expected})")
                : new DoctorCheck(name, false, $"installed: {actual}; this build ships: {expected}", "kubectl apply -k config/crds from this release"));
        }

        return checks;
    }

    /// <summary>
    /// SelfSubjectAccessReview of every rule the shipped RBAC grants (config/rbac, which RbacTests prove equal to the calls the
    /// operator makes), as the identity this process runs with; one line per rule, naming the denied verbs.
    /// </summary>
    public static async Task<List<DoctorCheck>> RbacAsync(IKubernetes kubernetes, string shippedDirectory, CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        foreach (var (scope, rule) in await ShippedRulesAsync(shippedDirectory, cancellationToken))
        {
            foreach (var resource in rule.Resources ?? [])
            {
                var group = rule.ApiGroups?.FirstOrDefault() ?? "";
                var denied = new List<string>();
                string? why = null;

                // A rule limited to resource names grants each name, not the resource: review each one.
                IReadOnlyList<string?> resourceNames = rule.ResourceNames is { Count: > 0 } given ? [.. given] : [null];
                foreach (var (verb, resourceName) in rule.Verbs.SelectMany(v => resourceNames.Select(n => (v, n))))
                {
                    var parts = resource.Split('/', 2);
                    var review = await kubernetes.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
                    {
                        Spec = new V1SelfSubjectAccessReviewSpec
                        {
                            ResourceAttributes = new V1ResourceAttributes
                            {
                                Group = group,
                                Resource = parts[0],
                                Subresource = parts.Length > 1 ? parts[1] : null,
                                Verb = verb,
                                NamespaceProperty = scope,
                                Name = resourceName,
                            },
                        },
                    }, cancellationToken: cancellationToken);
                    if (review.Status?.Allowed != true)
                    {
                        denied.Add(resourceName is null ? verb : $"{verb} {resourceName}");
                    }

                    why ??= review.Status?.Reason;
                }

                var name = $"RBAC {(group.Length == 0 ? "" : group + "/")}{resource}{(scope is null ? "" : $" in {scope}")}";
                checks.Add(denied.Count == 0
                    ? new DoctorCheck(name, true, string.Join(", ", rule.Verbs) + (why is { Length: > 0 } ? $" ({why})" : ""))
                    : new DoctorCheck(name, false, "denied: " + string.Join(", ", denied), "kubectl apply -k config/rbac (the operator's ServiceAccount, Roles and bindings)"));
            }
        }

        return checks;
    }

    private static string Shape(V1CustomResourceDefinition crd) => string.Join("; ", crd.Spec.Versions.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v =>
        $"{v.Name}{(v.Served ? "" : " not served")}{(v.Storage ? " storage" : "")} spec[{string.Join(",", SpecFields(v))}]"));

    private static IEnumerable<string> SpecFields(V1CustomResourceDefinitionVersion version) =>
        version.Schema?.OpenAPIV3Schema?.Properties is { } top && top.TryGetValue("spec", out var spec) && spec.Properties is { } fields
            ? fields.Keys.Order(StringComparer.Ordinal)
            : [];

    private static async Task<List<(string? Namespace, V1PolicyRule Rule)>> ShippedRulesAsync(string directory, CancellationToken cancellationToken)
    {
        var rules = new List<(string?, V1PolicyRule)>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var document in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file, cancellationToken)))
            {
                switch (document)
                {
                    case V1ClusterRole clusterRole:
                        rules.AddRange(clusterRole.Rules.Select(r => ((string?)null, r)));
                        break;
                    case V1Role role:
                        rules.AddRange(role.Rules.Select(r => ((string?)role.Metadata.NamespaceProperty, r)));
                        break;
                }
            }
        }

        return rules;
    }
}
