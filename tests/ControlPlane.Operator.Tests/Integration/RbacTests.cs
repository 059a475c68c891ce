using System.Text.RegularExpressions;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Audit;
using ControlPlane.Operator.Commands;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Testing;
using k8s;
using Microsoft.Extensions.Options;
using YamlDotNet.Serialization;

namespace ControlPlane.Operator.Tests.Integration;

public sealed partial class RbacTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    /// <summary>
    /// Granted but not called: finalizers are written by PUT on the tenant itself, but clusters running the
    /// OwnerReferencesPermissionEnforcement admission plugin also demand update on tenants/finalizers.
    /// </summary>
    private static readonly Permission[] GrantedForAdmission =
    [
        new(Tenant.ApiGroup, "tenants/finalizers", "update", null),
        new(Tenant.ApiGroup, "tenantdatabaseservers/finalizers", "update", null),
    ];

    [Fact]
    public async Task RBAC_grants_every_call_the_operator_made_and_nothing_more()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        cluster.Server.FailNext("update", "/apis/controlplane.econt.io/v1alpha1/namespaces/tenants/tenants/acme/status", 409);
        cluster.Server.FailNext("update", "/apis/controlplane.econt.io/v1alpha1/tenantdatabaseservers/pg-rbac/status", 409);

        // A TenantDatabaseServer (cluster-scoped): its finalizer, its status (after a 409, so re-read) and the placement on it.
        var (host, port) = cluster.TenantServerEndpoint;
        await cluster.Client.CustomObjects.CreateClusterCustomObjectAsync(
            new TenantDatabaseServerResource
            {
                Metadata = new() { Name = "pg-rbac" },
                Spec = new TenantDatabaseServerSpec
                {
                    Host = host,
                    Port = port,
                    AdminUser = cluster.TenantServer.AdminRole,
                    AdminSecretRef = new SecretKeyReference { Name = OperatorTestCluster.AdminSecretName, Key = "password" },
                },
            },
            Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural, cancellationToken: _ct);
        cluster.StartOperator(o =>
        {
            o.LeaderElection.Enabled = true;
            o.LeaderElection.LeaseDuration = TimeSpan.FromSeconds(2);
            o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1.5);
            o.LeaderElection.RetryPeriod = TimeSpan.FromMilliseconds(250);
        });

        // Delete policy, so the generated Secret's whole life (create, get, delete) is exercised.
        await cluster.CreateTenantAsync("acme", s => s.DeletionPolicy = DeletionPolicies.Delete, _ct);
        await cluster.CreateTenantAsync("invalid", s => s.Database = new TenantDatabaseSpec { Server = "nowhere" }, _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("acme", _ct)), TimeSpan.FromSeconds(60), "acme converged", _ct);
        await cluster.UpdateSpecAsync("invalid", s => s.DisplayName = "again", _ct);

        // A credential rotation writes a new version of the generated Secret (update).
        var acme = (await cluster.GetTenantAsync("acme", _ct))!;
        acme.Metadata.Annotations ??= new Dictionary<string, string>();
        acme.Metadata.Annotations[ControlPlane.Operator.Controllers.CredentialRotationRules.Annotation] = "2026-12-02T05.00.00Z";
        await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
            acme, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, "acme", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await cluster.GetTenantAsync("acme", _ct))!.Status.Credentials?.Rotation is not null, TimeSpan.FromSeconds(60), "acme's credentials rotated", _ct);

        // A rollout with an approval step: the rollout's spec (paused), its status and the Tenant it migrates are written.
        await cluster.CreateTenantAsync("pinned", s => s.SchemaVersion = "1", _ct);
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new SchemaRollout
            {
                Metadata = new() { Name = "to-v2", NamespaceProperty = OperatorTestCluster.TenantNamespace },
                Spec = new SchemaRolloutSpec
                {
                    TargetVersion = "2",
                    Selector = new() { MatchExpressions = [new() { Key = "name", OperatorProperty = "DoesNotExist" }] },
                    Canary = new SchemaRolloutCanary { Names = ["pinned"] },
                    PauseAfterCanary = true,
                },
            },
            Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, SchemaRollout.Plural, cancellationToken: _ct);
        SchemaRollout? rollout = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => (rollout = await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<SchemaRollout>(
                Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, SchemaRollout.Plural, "to-v2", cancellationToken: _ct))
                .Status.Phase == SchemaRolloutPhase.AwaitingApproval.ToWire(),
            TimeSpan.FromSeconds(30),
            () => $"the rollout awaits approval after its canary (last seen phase {rollout?.Status.Phase ?? "none"}, wave {rollout?.Status.CurrentWave?.Number}: "
                  + $"{string.Join(", ", rollout?.Status.CurrentWave?.Tenants ?? [])})",
            _ct);
        await cluster.DeleteTenantAsync("acme", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => await cluster.GetTenantAsync("acme", _ct) is null
                        && cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace).Any(e => (int?)e["count"] >= 2),
            TimeSpan.FromSeconds(20), "acme deleted and the InvalidSpec event counted twice", _ct);
        cluster.Server.DropWatches();
        await Task.Delay(500, _ct);
        // The resolver endpoint reviews each caller's token through a client of its own with the operator's identity.
        await new TokenReviewAuthenticator(new TokenReviewClient(cluster.CreateOperatorClient()), new ConnectionEndpointOptions(), TimeProvider.System)
            .AuthenticateAsync("unregistered-token", _ct);

        // `controlplane doctor` runs as the operator too: its reads of the shipped CRDs are calls the RBAC must grant.
        Assert.All(await DoctorChecks.CrdsAsync(cluster.CreateOperatorClient(), ShippedCrds.Directory, _ct), c => Assert.True(c.Passed, c.Detail));

        // The leader's periodic estate audit lists the generated Secrets as the operator (docs/audit.md).
        var secretOptions = new SecretStoreOptions { DefaultBackend = SecretBackendKind.Kubernetes, Kubernetes = { Namespace = OperatorTestCluster.SecretNamespace } };
        await new GeneratedSecrets(cluster.CreateOperatorClient(), secretOptions, new SecretReferencePlanner(Options.Create(secretOptions)),
            cluster.CreateLifecycle(cluster.DefaultOptions()).Secrets).ObserveAsync([], _ct);

        var used = Used(cluster.Server);
        var granted = Granted();

        Assert.Empty(used.Except(granted));
        Assert.Empty(granted.Except(used).Except(GrantedForAdmission));
    }

    private static HashSet<Permission> Used(KubeApiServer server) =>
        [.. server.RequestLog.Where(r => r.UserAgent == KubernetesClientFactory.UserAgent).Select(r => ToPermission(r.Verb, r.Path))];

    private static Permission ToPermission(string verb, string path)
    {
        var match = ResourcePath().Match(path);
        Assert.True(match.Success, $"not a resource path: {path}");
        var resource = match.Groups["resource"].Value + (match.Groups["sub"].Success ? "/" + match.Groups["sub"].Value : "");
        var ns = match.Groups["ns"].Success ? match.Groups["ns"].Value : null;

        // Cluster-wide rules apply in every namespace; the Lease and Secret roles are namespaced, so keep the namespace for them alone.
        return new Permission(match.Groups["group"].Success ? match.Groups["group"].Value : "", resource, verb, resource is "leases" or "secrets" ? ns : null);
    }

    private static HashSet<Permission> Granted()
    {
        var permissions = new HashSet<Permission>();
        foreach (var (file, ns) in new[]
                 {
                     ("cluster_role.yaml", (string?)null),
                     ("leader_election_role.yaml", OperatorTestCluster.OperatorNamespace),
                     ("tenant_secrets_role.yaml", OperatorTestCluster.SecretNamespace),
                     ("admin_secrets_role.yaml", OperatorTestCluster.OperatorNamespace),
                 })
        {
            var role = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
                File.ReadAllText(RepositoryFiles.PathOf("config", "rbac", file)));
            if (ns is not null)
            {
                Assert.Equal(ns, ((Dictionary<object, object>)role["metadata"])["namespace"]);
            }

            foreach (var rule in ((List<object>)role["rules"]).Cast<Dictionary<object, object>>())
            {
                foreach (var group in (List<object>)rule["apiGroups"])
                {
                    foreach (var resource in (List<object>)rule["resources"])
                    {
                        foreach (var verb in (List<object>)rule["verbs"])
                        {
                            permissions.Add(new Permission((string)group, (string)resource, (string)verb, ns));
                        }
                    }
                }
            }
        }

        return permissions;
    }

    [GeneratedRegex("^/(api/v1|apis/(?<group>[^/]+)/[^/]+)(/namespaces/(?<ns>[^/]+))?/(?<resource>[^/]+)(/(?<name>[^/]+)(/(?<sub>[^/]+))?)?$")]
    private static partial Regex ResourcePath();

    private sealed record Permission(string Group, string Resource, string Verb, string? Namespace);
}
