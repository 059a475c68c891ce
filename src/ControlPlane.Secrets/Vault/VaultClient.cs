using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Secrets.Configuration;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Vault;

/// <summary>
/// A small Vault HTTP API client (VaultSharp is not available): authentication and token lifetime
/// (<c>VaultClient.Auth.cs</c>), <c>X-Vault-Namespace</c>, per-request timeouts, retries with backoff for
/// idempotent calls only, and Vault's status codes mapped to typed <see cref="SecretStoreException"/>s.
/// </summary>
public sealed partial class VaultClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly VaultOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Uri _apiBase;

    public VaultClient(HttpClient http, VaultOptions options, TimeProvider time, ILogger<VaultClient> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        var address = options.Address ?? throw new ArgumentException("Vault needs an address (SECRET_MANAGER_ENDPOINT).", nameof(options));
        _http = http;
        _options = options;
        _time = time;
        _logger = logger;
        _apiBase = new Uri(address.AbsoluteUri.TrimEnd('/') + "/v1/");

        // Timeouts are ours (per attempt, on the injected clock), not HttpClient's.
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public void Dispose()
    {
        _http.Dispose();
        _authLock.Dispose();
    }

    internal async Task<VaultResponse> SendAsync(VaultRequest request, CancellationToken cancellationToken)
    {
        var reauthenticated = false;
        for (var attempt = 1; ; attempt++)
        {
            var token = request.Auth switch
            {
                VaultRequestAuth.Session => await SessionTokenAsync(cancellationToken).ConfigureAwait(false),
                VaultRequestAuth.Explicit => request.Token,
                _ => null,
            };

            VaultResponse response;
            try
            {
                response = await SendOnceAsync(request, token, cancellationToken).ConfigureAwait(false);
            }
            catch (VaultTransportException failure) when (request.Idempotent && attempt < _options.MaxAttempts)
            {
                await BackoffAsync(request, attempt, failure.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (VaultTransportException failure)
            {
                throw new SecretBackendUnavailableException(
                    $"Vault {request.Method} {request.Path} failed: {failure.Message}.{ForReference(request)}", request.Reference, failure.InnerException);
            }

            var status = (int)response.Status;
            if (status == 403 && request.Auth == VaultRequestAuth.Session && !reauthenticated && CanReauthenticate)
            {
                // An expired or revoked token also answers 403: log in again once before calling it a policy problem.
                Log.VaultReauthenticating(_logger, request.Method.Method, request.Path);
                reauthenticated = true;
                await ReauthenticateAsync(token, cancellationToken).ConfigureAwait(false);
                attempt--;
                continue;
            }

            if (status == 403)
            {
                throw new SecretAccessDeniedException(
                    $"Vault denied {request.Method} {request.Path}: {response.Errors} ({request.DeniedHint}).{ForReference(request)}", request.Reference);
            }

            if (IsRetryable(response.Status))
            {
                var reason = Unavailability(response);
                if (request.Idempotent && attempt < _options.MaxAttempts)
                {
                    await BackoffAsync(request, attempt, reason, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new SecretBackendUnavailableException(
                    $"Vault {request.Method} {request.Path} failed after {attempt} attempt(s): {reason}.{ForReference(request)}", request.Reference);
            }

            if (response.IsSuccess || status is 400 or 404)
            {
                return response;
            }

            throw new SecretStoreException(
                $"Vault {request.Method} {request.Path} answered HTTP {status}: {response.Errors}.{ForReference(request)}", request.Reference);
        }
    }

    private async Task<VaultResponse> SendOnceAsync(VaultRequest request, SecretValue? token, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(request.Method, new Uri(_apiBase, request.Path));
        message.Headers.Add("X-Vault-Request", "true");
        if (token is not null)
        {
            message.Headers.Add("X-Vault-Token", token.Reveal());
        }

        if (_options.Namespace is { } vaultNamespace)
        {
            message.Headers.Add("X-Vault-Namespace", vaultNamespace);
        }

        if (request.Body is not null)
        {
            message.Content = new StringContent(request.Body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var answer = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var text = await answer.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            return new VaultResponse(answer.StatusCode, text.Length == 0 ? null : ParseOrNull(text));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VaultTransportException($"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s (timeout)", null);
        }
        catch (HttpRequestException failure)
        {
            throw new VaultTransportException($"cannot reach Vault at {_apiBase.GetLeftPart(UriPartial.Authority)} ({failure.HttpRequestError})", failure);
        }
    }

    private async Task BackoffAsync(VaultRequest request, int attempt, string reason, CancellationToken cancellationToken)
    {
        var exponential = _options.RetryBaseDelay * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.5 + Random.Shared.NextDouble());
        var delay = jittered < TimeSpan.FromSeconds(5) ? jittered : TimeSpan.FromSeconds(5);
        Log.VaultRetry(_logger, request.Method.Method, request.Path, attempt, reason, (long)delay.TotalMilliseconds);
        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsRetryable(HttpStatusCode status) => (int)status is 429 or 500 or 502 or 503 or 504;

    private static string Unavailability(VaultResponse response) => (int)response.Status switch
    {
        503 when response.Errors.Contains("sealed", StringComparison.OrdinalIgnoreCase) => "Vault is sealed (HTTP 503); unseal it",
        503 => $"Vault is unavailable (HTTP 503: {response.Errors})",
        429 => $"Vault node is a standby or rate-limited (HTTP 429: {response.Errors})",
        var other => $"Vault answered HTTP {other}: {response.Errors}",
    };

    private static string ForReference(VaultRequest request) =>
        request.Reference is null ? "" : $" (secret reference {request.Reference})";

    private static JsonNode? ParseOrNull(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            // Proxies in front of Vault answer HTML; the status code alone then tells the story.
            return null;
        }
    }
}
