using System.Globalization;
using System.Text.RegularExpressions;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using Microsoft.Extensions.Options;

namespace ControlPlane.Secrets;

/// <summary>
/// Chooses where the operator generates a tenant's database password, in the backend named by
/// <c>SECRET_MANAGER_BACKEND</c>. The result is what provisioning stores in <c>tenants.db_secret_ref</c>.
/// </summary>
public sealed partial class SecretReferencePlanner(IOptions<SecretStoreOptions> options)
{
    /// <summary>Key under which the password is stored in Kubernetes and Vault secrets.</summary>
    public const string PasswordKey = "password";

    /// <summary>
    /// The reference for <paramref name="tenantSlug"/>'s database password:
    /// <c>k8s:&lt;ns&gt;/tenant-&lt;slug&gt;-db#password</c>, <c>vault:&lt;mount&gt;/&lt;prefix&gt;/&lt;slug&gt;#password</c>,
    /// <c>aws:&lt;region&gt;/&lt;prefix&gt;/&lt;slug&gt;#password</c>, <c>gcp:&lt;project&gt;/tenant-&lt;slug&gt;-db#password</c>,
    /// <c>azure:&lt;vault&gt;/tenant-&lt;slug&gt;-db#password</c>,
    /// <c>env:TENANT_&lt;SLUG&gt;_DB_PASSWORD</c> or <c>mock:tenant-&lt;slug&gt;-db</c>.
    /// </summary>
    public SecretReference ForTenantDatabase(string tenantSlug)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantSlug);
        var settings = options.Value;
        var text = settings.DefaultBackend switch
        {
            SecretBackendKind.Kubernetes => $"k8s:{settings.Kubernetes.Namespace}/tenant-{tenantSlug}-db#{PasswordKey}",
            SecretBackendKind.Vault => $"vault:{settings.Vault.Mount}/{settings.Vault.PathPrefix}/{tenantSlug}#{PasswordKey}",
            SecretBackendKind.Aws => $"aws:{settings.Aws.Region}/{settings.Aws.NamePrefix}/{tenantSlug}#{PasswordKey}",
            SecretBackendKind.Gcp => $"gcp:{settings.Gcp.Project}/tenant-{tenantSlug}-db#{PasswordKey}",
            SecretBackendKind.Azure => $"azure:{settings.Azure.Vault}/tenant-{tenantSlug}-db#{PasswordKey}",
            SecretBackendKind.Env => $"env:TENANT_{tenantSlug.Replace('-', '_').ToUpper(CultureInfo.InvariantCulture)}_DB_PASSWORD",
            _ => $"mock:tenant-{tenantSlug}-db",
        };

        // The one parser decides: a slug that makes an invalid reference fails here, before anything is written.
        return SecretReference.Parse(text);
    }

    /// <summary>
    /// Whether <paramref name="reference"/> has the shape of a reference <see cref="ForTenantDatabase"/> gives some slug, in
    /// any backend: the operator's generated passwords, which no Tenant may name as its own secret (issue 12). Decided on
    /// the text, so it holds before the secret exists too.
    /// </summary>
    public bool IsGenerated(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var settings = options.Value;
        return reference.Backend switch
        {
            SecretBackendKind.Kubernetes => reference.Container == settings.Kubernetes.Namespace && GeneratedName().IsMatch(reference.Name),
            SecretBackendKind.Vault => reference.Location.StartsWith($"{settings.Vault.Mount}/{settings.Vault.PathPrefix}/", StringComparison.Ordinal),
            SecretBackendKind.Env => GeneratedVariable().IsMatch(reference.Location),
            SecretBackendKind.Mock => GeneratedName().IsMatch(reference.Location),
            _ => false,
        };
    }

    [GeneratedRegex("^tenant-.+-db$", RegexOptions.CultureInvariant)]
    private static partial Regex GeneratedName();

    [GeneratedRegex("^TENANT_.+_DB_PASSWORD$", RegexOptions.CultureInvariant)]
    private static partial Regex GeneratedVariable();
}
