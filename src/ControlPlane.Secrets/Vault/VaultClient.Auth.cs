using System.Text.Json.Nodes;
using ControlPlane.Secrets.Configuration;

namespace ControlPlane.Secrets.Vault;

/// <summary>
/// The token the client works with, and its lifetime: obtained at first use (static token, token file or
/// Kubernetes login), renewed with <c>renew-self</c> once two thirds of its lease have passed, and replaced by a
/// fresh login when renewal fails, when the lease nears its maximum TTL, or when Vault answers 403.
/// </summary>
public sealed partial class VaultClient
{
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private volatile TokenState? _state;

    private bool CanReauthenticate => _options.AuthMethod == VaultAuthMethod.Kubernetes || _options.TokenFile is not null;

    private async Task<SecretValue> SessionTokenAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        if (state is not null && _time.GetUtcNow() < state.RenewAt)
        {
            return state.Token;
        }

        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            state = _state;
            if (state is null)
            {
                _state = state = await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (_time.GetUtcNow() >= state.RenewAt)
            {
                _state = state = await RenewOrReauthenticateAsync(state, cancellationToken).ConfigureAwait(false);
            }

            return state.Token;
        }
        finally
        {
            _authLock.Release();
        }
    }

    private async Task ReauthenticateAsync(SecretValue? rejected, CancellationToken cancellationToken)
    {
        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request may already have replaced the rejected token.
            if (_state is null || rejected is null || _state.Token.Equals(rejected))
            {
                _state = await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _authLock.Release();
        }
    }

    private async Task<TokenState> RenewOrReauthenticateAsync(TokenState state, CancellationToken cancellationToken)
    {
        if (state.Renewable && await RenewAsync(state, cancellationToken).ConfigureAwait(false) is { } renewed)
        {
            return renewed;
        }

        return CanReauthenticate
            ? await AuthenticateAsync(cancellationToken).ConfigureAwait(false)
            : state with { RenewAt = DateTimeOffset.MaxValue };
    }

    private async Task<TokenState?> RenewAsync(TokenState state, CancellationToken cancellationToken)
    {
        VaultResponse response;
        try
        {
            response = await SendAsync(
                new VaultRequest(HttpMethod.Post, "auth/token/renew-self", Idempotent: true)
                {
                    Auth = VaultRequestAuth.Explicit,
                    Token = state.Token,
                    Body = [],
                    DeniedHint = "the token was revoked or expired",
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (SecretStoreException failure)
        {
            Log.VaultRenewFailed(_logger, failure.Message);
            return null;
        }

        if (!response.IsSuccess || response.Body?["auth"] is not JsonObject auth)
        {
            Log.VaultRenewFailed(_logger, $"HTTP {(int)response.Status}: {response.Errors}");
            return null;
        }

        var lease = auth["lease_duration"]?.GetValue<long>() ?? 0;

        // A renewal capped by the token's max TTL comes back short: a new login then beats renewing ever more
        // often, when a new login is possible at all.
        if (CanReauthenticate && lease * 3 < state.LeaseSeconds)
        {
            Log.VaultRenewFailed(_logger, $"lease capped at {lease} s by the token's max TTL");
            return null;
        }

        Log.VaultTokenRenewed(_logger, lease);
        return NewState(state.Token, lease, auth["renewable"]?.GetValue<bool>() ?? false) with { LeaseSeconds = Math.Max(lease, state.LeaseSeconds) };
    }

    private async Task<TokenState> AuthenticateAsync(CancellationToken cancellationToken) => _options.AuthMethod switch
    {
        VaultAuthMethod.Kubernetes => await KubernetesLoginAsync(cancellationToken).ConfigureAwait(false),
        _ => await LoadTokenAsync(cancellationToken).ConfigureAwait(false),
    };

    private async Task<TokenState> KubernetesLoginAsync(CancellationToken cancellationToken)
    {
        var role = _options.KubernetesRole ?? throw new InvalidOperationException("VAULT_K8S_ROLE is not set.");
        var jwt = await ReadFileAsync(_options.ServiceAccountTokenFile, "service account token", cancellationToken).ConfigureAwait(false);
        var path = $"auth/{_options.KubernetesAuthPath}/login";
        var response = await SendAsync(
            new VaultRequest(HttpMethod.Post, path, Idempotent: true)
            {
                Auth = VaultRequestAuth.None,
                Body = new JsonObject { ["role"] = role, ["jwt"] = jwt },
                DeniedHint = $"check that Vault role '{role}' is bound to the operator's service account name and namespace",
            },
            cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccess || response.Body?["auth"] is not JsonObject auth || auth["client_token"]?.GetValue<string>() is not { Length: > 0 } token)
        {
            throw new SecretAccessDeniedException(
                $"Vault Kubernetes login at {path} as role '{role}' failed (HTTP {(int)response.Status}: {response.Errors}).", null);
        }

        var lease = auth["lease_duration"]?.GetValue<long>() ?? 0;
        var renewable = auth["renewable"]?.GetValue<bool>() ?? false;
        Log.VaultLoggedIn(_logger, _options.KubernetesAuthPath, role, lease, renewable);
        return NewState(new SecretValue(token), lease, renewable);
    }

    private async Task<TokenState> LoadTokenAsync(CancellationToken cancellationToken)
    {
        var (token, source) = _options.TokenFile is { } file
            ? (new SecretValue(await ReadFileAsync(file, "token", cancellationToken).ConfigureAwait(false)), file)
            : (_options.Token ?? throw new InvalidOperationException("VAULT_TOKEN is not set."), "VAULT_TOKEN");

        // lookup-self tells whether and when the token expires, and proves it works before the first real call.
        var lookup = await SendAsync(
            new VaultRequest(HttpMethod.Get, "auth/token/lookup-self", Idempotent: true)
            {
                Auth = VaultRequestAuth.Explicit,
                Token = token,
                DeniedHint = $"the token from {source} is invalid, expired or revoked",
            },
            cancellationToken).ConfigureAwait(false);

        var data = lookup.Body?["data"];
        var lease = data?["ttl"]?.GetValue<long>() ?? 0;
        var renewable = data?["renewable"]?.GetValue<bool>() ?? false;
        Log.VaultTokenLoaded(_logger, source, lease, renewable);
        return NewState(token, lease, renewable);
    }

    private TokenState NewState(SecretValue token, long leaseSeconds, bool renewable)
    {
        // A lease of 0 is a token without expiry (e.g. a root token in dev).
        var renewAt = leaseSeconds <= 0
            ? DateTimeOffset.MaxValue
            : _time.GetUtcNow() + TimeSpan.FromSeconds(leaseSeconds * 2.0 / 3.0);
        return new TokenState(token, renewAt, leaseSeconds, renewable);
    }

    private static async Task<string> ReadFileAsync(string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            var text = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
            return text.Length > 0 ? text : throw new SecretAccessDeniedException($"The Vault {what} file {path} is empty.", null);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            throw new SecretAccessDeniedException($"Cannot read the Vault {what} file {path}: {failure.GetType().Name}.", null);
        }
    }

    private sealed record TokenState(SecretValue Token, DateTimeOffset RenewAt, long LeaseSeconds, bool Renewable);
}
