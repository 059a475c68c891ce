using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Cloud;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Gcp;

/// <summary>
/// The Secret Manager REST API v1 with a bearer token from Google.Apis.Auth (hand-written because the
/// generated Google.Cloud.SecretManager client is gRPC and not among the packages we take; ADR-CP-009).
/// Errors are Google's <c>{"error":{"code","message","status"}}</c>; RESOURCE_EXHAUSTED and UNAVAILABLE are retried.
/// </summary>
public sealed class GcpSecretManagerClient(HttpClient http, Func<CancellationToken, Task<ITokenAccess>> credentials, GcpSecretOptions options, TimeProvider time, ILogger<GcpSecretManagerClient> logger)
{
    private ITokenAccess? _token;

    /// <summary>Sends a request; 2xx returns the body, a 404 returns null, anything else throws.</summary>
    public async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, SecretReference reference, CancellationToken cancellationToken, bool conflictIsNull = false)
    {
        _token ??= await credentials(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var accessToken = await _token.GetAccessTokenForRequestAsync(null, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, new Uri(options.Endpoint, "v1/" + path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new SecretBackendUnavailableException($"Google Secret Manager cannot be reached ({e.HttpRequestError}) for {reference}.", reference, e);
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [];
                }

                var (status, message) = Error(text);
                if (response.StatusCode == HttpStatusCode.NotFound || (conflictIsNull && response.StatusCode == HttpStatusCode.Conflict))
                {
                    return null;
                }

                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < options.MaxAttempts)
                {
                    var delay = RetryAfter.Delay(response.Headers.RetryAfter, time, attempt, options.RetryBaseDelay);
                    Log.CloudRetry(logger, "gcp", $"{method} {path}", attempt, status, (long)delay.TotalMilliseconds);
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw response.StatusCode switch
                {
                    HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new SecretAccessDeniedException(
                        $"Google Secret Manager refused {method} {path} for {reference}: {status} {message} Grant the operator's service account roles/secretmanager.admin on the secret or project.", reference),
                    HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => new SecretBackendUnavailableException(
                        $"Google Secret Manager {method} {path} for {reference} still fails: {status} {message}", reference),
                    _ => new SecretStoreException($"Google Secret Manager {method} {path} for {reference} failed: HTTP {(int)response.StatusCode} {status} {message}", reference),
                };
            }
        }
    }

    private static (string Status, string Message) Error(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error"] is JsonObject error ? ((string?)error["status"] ?? "", (string?)error["message"] ?? "") : ("", "");
        }
        catch (JsonException)
        {
            return ("", "");
        }
    }
}
