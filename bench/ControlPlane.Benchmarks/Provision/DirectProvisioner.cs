using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// The baseline: the provisioning work without the operator, one tenant after another, through the same Store and
/// Secrets classes the operator calls (same names from <see cref="TenantIntent"/>): catalog registration (status
/// <c>provisioning</c> + event), generated password in the Kubernetes secret store, role + database + REVOKE/GRANT
/// (TenantDatabaseAdministrator.ConvergeAsync, role created with the SCRAM verifier), pgcrypto + migrations V1..V2
/// (TenantSchemaMigrator, Evolve), catalog <c>migrated</c> and <c>active</c>. No Kubernetes objects, no status, no events,
/// no re-reads: the least a correct provisioner does.
/// </summary>
internal static class DirectProvisioner
{
    public static async Task ProvisionAsync(TenantLifecycle lifecycle, Tenant tenant, StepTimer steps, CancellationToken cancellationToken)
    {
        steps.Begin();
        const string actor = "bench/direct";
        var intent = TenantIntent.From(tenant, lifecycle.GeneratedSecretRef);
        var server = lifecycle.Servers.Get(intent.Server);
        var row = await lifecycle.Catalog.RegisterAsync(intent.Registration(
            new TenantDatabaseServerAddress(server.Name, server.Host, server.Port),
            TenantIntent.OwnerOf(tenant)), actor, cancellationToken);
        steps.Mark(ProvisioningSteps.Registered);
        var password = await lifecycle.Secrets.EnsureGeneratedPasswordAsync(intent.SecretRef, new SecretOwner(intent.Slug), cancellationToken);
        steps.Mark(ProvisioningSteps.SecretEnsured);
        var spec = intent.DatabaseTarget(new Store.TenantDatabases.TenantOwnership(row.Id));
        await server.Administrator.ConvergeAsync(spec, ScramVerifier.Compute(password.Reveal()), cancellationToken);
        steps.Mark(ProvisioningSteps.DatabaseConverged);
        var target = lifecycle.Migrator.LatestVersion;
        var outcome = await server.Administrator.MigrateAsync(spec, lifecycle.Migrator, target, cancellationToken);
        steps.Mark(ProvisioningSteps.Migrated);
        row = await lifecycle.Catalog.RecordMigrationAsync(row.Id, null, outcome.To.ToString(), actor, cancellationToken);
        await lifecycle.Catalog.MarkActiveAsync(row.Id, actor, cancellationToken);
        steps.Mark(ProvisioningSteps.CatalogUpdated);
    }
}
