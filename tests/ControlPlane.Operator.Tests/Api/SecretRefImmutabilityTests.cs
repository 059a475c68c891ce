using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>
/// <c>spec.credentials.secretRef</c> is fixed at creation (CEL transition rules in the shipped CRD), so the catalog's
/// <c>db_secret_ref</c> and the role's password, both taken from it once, cannot drift from the spec. Through the real
/// client against the in-process API server loading config/crds.
/// </summary>
public sealed class SecretRefImmutabilityTests
{
    private const string Namespace = "tenants";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string?, string?> Changes => new()
    {
        { "k8s:tenants/acme-credentials#password", "k8s:tenants/other-credentials#password" },   // replaced
        { "k8s:tenants/acme-credentials#password", null },                                      // removed
        { null, "k8s:tenants/acme-credentials#password" },                                      // added later
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task Changing_adding_or_removing_secretRef_after_creation_is_refused_by_the_API_server(string? before, string? after)
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: _ct);
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            NewTenant("acme", before), Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, Tenant.Plural, cancellationToken: _ct);

        created.Spec.Credentials = after is null ? null : new TenantCredentials { SecretRef = after };
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
            created, Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, Tenant.Plural, "acme", cancellationToken: _ct));

        Assert.Equal(422, (int)refused.Response.StatusCode);
        Assert.Contains("credentials.secretRef is immutable", refused.Response.Content, StringComparison.Ordinal);
        var stored = await client.CustomObjects.GetNamespacedCustomObjectAsync<Tenant>(Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, Tenant.Plural, "acme", cancellationToken: _ct);
        Assert.Equal(before, stored.Spec.Credentials?.SecretRef);
    }

    [Fact]
    public async Task Other_spec_changes_of_a_Tenant_with_a_secretRef_are_accepted()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: _ct);
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            NewTenant("acme", "k8s:tenants/acme-credentials#password"), Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, Tenant.Plural, cancellationToken: _ct);

        created.Spec.DisplayName = "Acme Ltd";
        var updated = await client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
            created, Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, Tenant.Plural, "acme", cancellationToken: _ct);

        Assert.Equal(("Acme Ltd", "k8s:tenants/acme-credentials#password"), (updated.Spec.DisplayName, updated.Spec.Credentials?.SecretRef));
    }

    private static Tenant NewTenant(string name, string? secretRef)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace } };
        tenant.Spec.Credentials = secretRef is null ? null : new TenantCredentials { SecretRef = secretRef };
        return tenant;
    }
}
