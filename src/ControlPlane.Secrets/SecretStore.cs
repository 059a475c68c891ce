using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Secrets;

/// <summary>
/// Routes each reference to the backend of its kind and adds what is common to all of them: the dev-only
/// rule, password generation and logging. Backends are keyed services resolved on first use, because the
/// Kubernetes client can only be configured in a cluster (or with a kubeconfig) and Vault only with an endpoint.
/// </summary>
public sealed class SecretStore(
    IServiceProvider services,
    IOptions<SecretStoreOptions> options,
    PasswordGenerator passwords,
    ILogger<SecretStore> logger) : ISecretStore
{
    public async Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var backend = Backend(reference);
        var value = await backend.ReadAsync(reference, cancellationToken).ConfigureAwait(false);
        Log.SecretRead(logger, reference, backend.Kind);
        return value;
    }

    public async Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(owner);
        var backend = Backend(reference);
        await backend.WriteAsync(reference, value, owner, cancellationToken).ConfigureAwait(false);
        Log.SecretWritten(logger, reference, backend.Kind);
    }

    public async Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var backend = Backend(reference);
        var outcome = await backend.DeleteAsync(reference, cancellationToken).ConfigureAwait(false);
        Log.SecretDeleted(logger, reference, backend.Kind, outcome);
        return outcome;
    }

    public async Task<SecretValue> EnsureGeneratedPasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var value = await Backend(reference).GetOrCreateAsync(reference, passwords.Generate(), owner, cancellationToken).ConfigureAwait(false);
        Log.PasswordEnsured(logger, reference);
        return value;
    }

    public async Task<SecretValue> RotatePasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var value = passwords.Generate();
        await Backend(reference).WriteAsync(reference, value, owner, cancellationToken).ConfigureAwait(false);
        Log.PasswordRotated(logger, reference);
        return value;
    }

    public async Task<SecretValue> EnsureRotatedPasswordAsync(SecretReference reference, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        ArgumentNullException.ThrowIfNull(owner);
        var value = await Backend(reference).GetOrRotateAsync(reference, passwords.Generate(), rotation, owner, cancellationToken).ConfigureAwait(false);
        Log.PasswordRotated(logger, reference);
        return value;
    }

    public async Task<SecretValue> StoreRotatedPasswordAsync(SecretReference reference, SecretValue value, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        ArgumentNullException.ThrowIfNull(owner);
        var stored = await Backend(reference).GetOrRotateAsync(reference, value, rotation, owner, cancellationToken).ConfigureAwait(false);
        Log.PasswordRotated(logger, reference);
        return stored;
    }

    public async Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var backend = Backend(reference);
        var value = await backend.ReadMarkedAsync(reference, cancellationToken).ConfigureAwait(false);
        Log.SecretRead(logger, reference, backend.Kind);
        return value;
    }

    private ISecretBackend Backend(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var settings = options.Value;
        if (!settings.IsEnabled(reference.Backend))
        {
            throw new SecretBackendNotEnabledException(
                reference.Backend is SecretBackendKind.Env or SecretBackendKind.Mock
                    ? $"Secret reference {reference} uses the {reference.Backend.ToString().ToLowerInvariant()} backend, which exists only with ENVIRONMENT=dev; " +
                      "store the secret in Vault or a Kubernetes Secret."
                    : reference.Backend switch
                    {
                        SecretBackendKind.Vault => $"Secret reference {reference} points into Vault, but {SecretStoreConfiguration.EndpointVariable} is not set.",
                        SecretBackendKind.Aws => $"Secret reference {reference} points into AWS Secrets Manager, but no AWS credentials are configured " +
                                                 $"({SecretStoreConfiguration.AwsRoleArnVariable} with {SecretStoreConfiguration.AwsWebIdentityTokenFileVariable}, or static keys in dev).",
                        SecretBackendKind.Gcp => $"Secret reference {reference} points into Google Secret Manager, but it is not configured " +
                                                 $"(set {SecretStoreConfiguration.GcpProjectVariable} or {SecretStoreConfiguration.GcpCredentialsVariable}).",
                        SecretBackendKind.Azure => $"Secret reference {reference} points into Azure Key Vault, but no Azure identity is configured " +
                                                   $"({SecretStoreConfiguration.AzureTenantIdVariable}, {SecretStoreConfiguration.AzureClientIdVariable} and " +
                                                   $"{SecretStoreConfiguration.AzureFederatedTokenFileVariable}, or {SecretStoreConfiguration.AzureClientSecretVariable} in dev).",
                        _ => $"Secret reference {reference} points into {reference.Backend}, which this operator does not implement yet.",
                    },
                reference);
        }

        return services.GetKeyedService<ISecretBackend>(reference.Backend)
               ?? throw new SecretBackendNotEnabledException($"No {reference.Backend} secret backend is registered for {reference}.", reference);
    }
}
