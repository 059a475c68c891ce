using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Amazon.Util;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Cloud;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Aws;

/// <summary>
/// The Secrets Manager JSON 1.1 protocol (POST /, <c>X-Amz-Target: secretsmanager.&lt;Operation&gt;</c>), signed
/// with Signature Version 4 by the SDK's <see cref="AWS4Signer"/>. Hand-written because the AWSSDK.SecretsManager
/// package is not served (ADR-CP-009). Throttling is retried after Retry-After or a doubling delay.
/// </summary>
public sealed class AwsSecretsManagerClient(HttpClient http, AWSCredentials credentials, AwsSecretsOptions options, TimeProvider time, ILogger<AwsSecretsManagerClient> logger)
{
    private const string Service = "secretsmanager";
    private const string ContentType = "application/x-amz-json-1.1";

    /// <summary>Sends <paramref name="operation"/>; returns the body on success, else throws an <see cref="AwsError"/>.</summary>
    public async Task<JsonObject> SendAsync(string operation, string region, JsonObject body, SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var json = body.ToJsonString();
        for (var attempt = 1; ; attempt++)
        {
            using var request = await SignedRequestAsync(operation, region, json).ConfigureAwait(false);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new SecretBackendUnavailableException($"AWS Secrets Manager in {region} cannot be reached ({e.HttpRequestError}) for {reference}.", reference, e);
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return JsonNode.Parse(text) as JsonObject ?? [];
                }

                var error = AwsError.From(response.StatusCode, text);
                if (error.IsRetryable && attempt < options.MaxAttempts)
                {
                    var delay = RetryAfter.Delay(response.Headers.RetryAfter, time, attempt, options.RetryBaseDelay);
                    Log.CloudRetry(logger, "aws", operation, attempt, error.Code, (long)delay.TotalMilliseconds);
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw error.ToException(operation, reference);
            }
        }
    }

    private async Task<HttpRequestMessage> SignedRequestAsync(string operation, string region, string json)
    {
        var endpoint = options.Endpoint ?? new Uri($"https://{Service}.{region}.amazonaws.com/");
        var identity = await credentials.GetCredentialsAsync().ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = ContentType,
            ["X-Amz-Target"] = $"{Service}.{operation}",
        };
        if (identity.UseToken)
        {
            headers["X-Amz-Security-Token"] = identity.Token;
        }

        var signedAt = AWS4Signer.InitializeHeaders(headers, endpoint, time.GetUtcNow().UtcDateTime);
        var bodyHash = AWSSDKUtils.ToHex(AWS4Signer.ComputeHash(json), true);
        var (signedHeaders, canonical) = CanonicalRequest(headers, bodyHash);
        var signature = AWS4Signer.ComputeSignature(identity, region, signedAt, Service, signedHeaders, canonical);

        var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(json, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContentType);
        foreach (var (name, value) in headers)
        {
            if (!name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
        return request;
    }

    /// <summary>
    /// SigV4's canonical request for our one shape (POST /, no query): the SDK keeps its canonicalization internal,
    /// so it is written here; the SDK derives the signing key and signs it.
    /// </summary>
    internal static (string SignedHeaders, string Canonical) CanonicalRequest(IReadOnlyDictionary<string, string> headers, string bodyHash)
    {
        var sorted = headers
            .Select(pair => (Name: pair.Key.ToLowerInvariant(), Value: string.Join(' ', pair.Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))))
            .OrderBy(pair => pair.Name, StringComparer.Ordinal)
            .ToList();
        var signedHeaders = string.Join(';', sorted.Select(pair => pair.Name));
        var canonical = new StringBuilder()
            .Append("POST\n/\n\n")
            .AppendJoin("", sorted.Select(pair => $"{pair.Name}:{pair.Value}\n"))
            .Append('\n').Append(signedHeaders).Append('\n').Append(bodyHash)
            .ToString();
        return (signedHeaders, canonical);
    }
}

/// <summary>An AWS JSON protocol error: <c>{"__type": "...#ResourceNotFoundException", "message": "..."}</c>.</summary>
public sealed record AwsError(HttpStatusCode Status, string Code, string Message)
{
    private static readonly HashSet<string> Denied = new(StringComparer.Ordinal)
    {
        "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException",
        "MissingAuthenticationTokenException", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch",
    };

    public bool IsRetryable => Code is "ThrottlingException" or "TooManyRequestsException" or "RequestLimitExceeded" or "InternalServiceError"
                               || Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.InternalServerError;

    public static AwsError From(HttpStatusCode status, string body)
    {
        string code = "", message = "";
        try
        {
            if (JsonNode.Parse(body) is JsonObject error)
            {
                code = (string?)error["__type"] ?? "";
                message = (string?)(error["message"] ?? error["Message"]) ?? "";
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): the status alone names the failure.
        }

        return new AwsError(status, code[(code.LastIndexOf('#') + 1)..], message);
    }

    public SecretStoreException ToException(string operation, SecretReference reference) => Code switch
    {
        "ResourceNotFoundException" => new SecretNotFoundException($"AWS Secrets Manager {operation}: {Message} (reference {reference}).", reference),
        _ when Denied.Contains(Code) || Status == HttpStatusCode.Forbidden =>
            new SecretAccessDeniedException($"AWS Secrets Manager refused {operation} for {reference}: {Code} {Message}. Check the role's IAM policy.", reference),
        _ when IsRetryable => new SecretBackendUnavailableException($"AWS Secrets Manager {operation} for {reference} still fails: {Code} {Message}.", reference),
        _ => new SecretStoreException($"AWS Secrets Manager {operation} for {reference} failed: HTTP {(int)Status} {Code} {Message}.", reference),
    };
}
