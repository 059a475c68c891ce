using ControlPlane.Core.Secrets;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets;

/// <summary>
/// Every log message of the secret store, source-generated with stable event ids (3000-3099).
/// Parameters are references, paths, statuses and durations: a <see cref="SecretValue"/> or token is never one.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Read secret {Reference} from {Backend}")]
    public static partial void SecretRead(ILogger logger, SecretReference reference, SecretBackendKind backend);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Wrote secret {Reference} to {Backend}")]
    public static partial void SecretWritten(ILogger logger, SecretReference reference, SecretBackendKind backend);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Deleting secret {Reference} from {Backend}: {Outcome}")]
    public static partial void SecretDeleted(ILogger logger, SecretReference reference, SecretBackendKind backend, SecretDeletion outcome);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Ensured a generated password exists at {Reference}")]
    public static partial void PasswordEnsured(ILogger logger, SecretReference reference);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Rotated the password at {Reference}")]
    public static partial void PasswordRotated(ILogger logger, SecretReference reference);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Vault {Method} {Path} attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void VaultRetry(ILogger logger, string method, string path, int attempt, string reason, long delayMs);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Logged in to Vault through auth/{AuthPath} as role {Role}; token lease {LeaseSeconds} s, renewable {Renewable}")]
    public static partial void VaultLoggedIn(ILogger logger, string authPath, string role, long leaseSeconds, bool renewable);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Renewed the Vault token; lease {LeaseSeconds} s")]
    public static partial void VaultTokenRenewed(ILogger logger, long leaseSeconds);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Renewing the Vault token failed ({Reason}); authenticating again")]
    public static partial void VaultRenewFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "Vault answered 403 to {Method} {Path}; authenticating again and retrying once")]
    public static partial void VaultReauthenticating(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Using a Vault token from {Source}; lease {LeaseSeconds} s, renewable {Renewable}")]
    public static partial void VaultTokenLoaded(ILogger logger, string source, long leaseSeconds, bool renewable);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Debug, Message = "Kubernetes Secret {Reference} changed concurrently (409); attempt {Attempt}")]
    public static partial void KubernetesConflict(ILogger logger, SecretReference reference, int attempt);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "The operator may not get Secrets in namespace {Namespace}, so no k8s: secretRef of a Tenant there can be granted; bind a Role with get on secrets there (config/samples)")]
    public static partial void ConfinementForbidden(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "{Cloud} {Operation} attempt {Attempt} was throttled or unavailable ({Code}); retrying in {DelayMs} ms")]
    public static partial void CloudRetry(ILogger logger, string cloud, string operation, int attempt, string code, long delayMs);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Warning, Message = "Azure Key Vault refused to purge the deleted secret {Reference} ({Code}); it stays recoverable (soft delete) until the vault's retention ends")]
    public static partial void AzurePurgeRefused(ILogger logger, SecretReference reference, string code);
}
