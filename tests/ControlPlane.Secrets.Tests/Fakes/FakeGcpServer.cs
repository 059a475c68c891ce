using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>
/// Google Secret Manager REST v1, the OAuth token endpoint (service account JWT grant, RS256 verified here),
/// Google STS (token exchange for external accounts) and the GKE metadata server, on 127.0.0.1. Secret Manager
/// requests need a bearer token this fake issued and <c>application/json</c> bodies; errors are
/// <c>{"error":{"code","message","status"}}</c>; versions are numbered 1, 2, … and <c>latest</c> is the newest.
/// </summary>
public sealed class FakeGcpServer : ICloudFake, IAsyncDisposable
{
    private readonly Dictionary<string, Secret> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _tokens = new(StringComparer.Ordinal);
    private readonly HashSet<string> _denied = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private WebApplication _app = null!;
    private int _throttle;
    private int _requests;
    private int _exchanges;

    public Uri Address { get; private set; } = null!;

    public string ServiceAccountEmail { get; } = "econt-controlplane@econt-prod.iam.gserviceaccount.com";

    /// <summary>The service account key the token endpoint verifies JWT assertions with.</summary>
    public RSA ServiceAccountKey { get; } = RSA.Create(2048);

    /// <summary>Subject tokens Google STS accepts (workload identity federation).</summary>
    public ConcurrentDictionary<string, bool> FederatedSubjectTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the metadata server hands out tokens (GKE Workload Identity enabled for the pod).</summary>
    public bool MetadataServerEnabled { get; set; } = true;

    public int TokenExchanges => _exchanges;

    public int RequestCount => _requests;

    public static async Task<FakeGcpServer> StartAsync(CancellationToken cancellationToken)
    {
        var fake = new FakeGcpServer();
        (fake._app, fake.Address) = await LoopbackServer.StartAsync(fake.HandleAsync, cancellationToken);
        return fake;
    }

    /// <summary>A service account key file whose token_uri is this fake.</summary>
    public string ServiceAccountJson() => new JsonObject
    {
        ["type"] = "service_account",
        ["project_id"] = "econt-prod",
        ["private_key_id"] = "fake-key-1",
        ["private_key"] = ServiceAccountKey.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = ServiceAccountEmail,
        ["client_id"] = "1234567890",
        ["token_uri"] = new Uri(Address, "token").ToString(),
    }.ToJsonString();

    /// <summary>An external account configuration (workload identity federation) reading the subject token from a file.</summary>
    public string ExternalAccountJson(string subjectTokenFile) => new JsonObject
    {
        ["type"] = "external_account",
        ["audience"] = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/econt/providers/eks",
        ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
        ["token_url"] = new Uri(Address, "v1/token").ToString(),
        ["credential_source"] = new JsonObject { ["file"] = subjectTokenFile },
    }.ToJsonString();

    public void Deny(string secretName)
    {
        lock (_gate)
        {
            _denied.Add(secretName);
        }
    }

    public void Throttle(int requests) => Interlocked.Exchange(ref _throttle, requests);

    public int VersionCount(string container, string secretName)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue($"projects/{container}/secrets/{secretName}", out var secret) ? secret.Versions.Count : 0;
        }
    }

    public void PutForeign(string container, string secretName, string json)
    {
        lock (_gate)
        {
            var secret = new Secret([]);
            secret.Versions.Add(Encoding.UTF8.GetBytes(json));
            _secrets[$"projects/{container}/secrets/{secretName}"] = secret;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        ServiceAccountKey.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var path = context.Request.Path.Value ?? "";
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        if (path == "/token" || path == "/v1/token")
        {
            await TokenAsync(context, path, body);
            return;
        }

        if (path.StartsWith("/computeMetadata/", StringComparison.Ordinal))
        {
            await MetadataAsync(context, path);
            return;
        }

        var bearer = context.Request.Headers.Authorization.ToString();
        if (!bearer.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.ContainsKey(bearer["Bearer ".Length..]))
        {
            await Error(context, 401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
            return;
        }

        if (body.Length > 0 && context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            await Error(context, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected content type.");
            return;
        }

        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            context.Response.Headers.RetryAfter = "0";
            await Error(context, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Access requests' and limit 'Access requests per minute'.");
            return;
        }

        var (status, code, response) = Operate(context.Request.Method, path["/v1/".Length..], context.Request.Query["secretId"].ToString(), body);
        if (status != 200)
        {
            await Error(context, status, code, (string)response["message"]!);
            return;
        }

        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
    }

    private (int, string, JsonObject) Operate(string method, string path, string secretId, string body)
    {
        lock (_gate)
        {
            var colon = path.LastIndexOf(':');
            var verb = colon > path.LastIndexOf('/') ? path[(colon + 1)..] : "";
            var resource = verb.Length > 0 ? path[..colon] : path;
            var parts = resource.Split('/');
            if (method == "POST" && parts is ["projects", var project, "secrets"])
            {
                resource = $"projects/{project}/secrets/{secretId}";
            }

            var segments = resource.Split('/');
            var name = segments.Length >= 4 ? $"projects/{segments[1]}/secrets/{segments[3]}" : resource;
            if (segments.Length >= 4 && _denied.Contains(segments[3]))
            {
                return (403, "PERMISSION_DENIED", Message($"Permission 'secretmanager.versions.access' denied for resource '{resource}' (or it may not exist)."));
            }

            _secrets.TryGetValue(name, out var secret);
            switch (method, segments.Length, verb)
            {
                case ("POST", 4, "") when parts.Length == 3:
                    if (secret is not null)
                    {
                        return (409, "ALREADY_EXISTS", Message($"Secret [{name}] already exists."));
                    }

                    var request = JsonNode.Parse(body)!.AsObject();
                    if (request["replication"] is null)
                    {
                        return (400, "INVALID_ARGUMENT", Message("Secret.replication is required."));
                    }

                    var labels = request["labels"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal) ?? [];
                    _secrets[name] = new Secret(labels);
                    return (200, "", SecretJson(name, _secrets[name]));
                case ("GET", 4, "") when secret is not null:
                    return (200, "", SecretJson(name, secret));
                case ("DELETE", 4, "") when secret is not null:
                    _secrets.Remove(name);
                    return (200, "", []);
                case ("POST", 4, "addVersion") when secret is not null:
                    var payload = (string?)JsonNode.Parse(body)?["payload"]?["data"];
                    if (payload is null)
                    {
                        return (400, "INVALID_ARGUMENT", Message("Payload is required."));
                    }

                    secret.Versions.Add(Convert.FromBase64String(payload));
                    return (200, "", new JsonObject { ["name"] = $"{name}/versions/{secret.Versions.Count}", ["state"] = "ENABLED", ["createTime"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
                case ("GET", 6, "access") when secret is not null && segments[4] == "versions":
                    var number = segments[5] == "latest" ? secret.Versions.Count : int.TryParse(segments[5], CultureInfo.InvariantCulture, out var n) ? n : 0;
                    if (number < 1 || number > secret.Versions.Count)
                    {
                        return (404, "NOT_FOUND", Message($"Secret Version [{name}/versions/{segments[5]}] not found."));
                    }

                    return (200, "", new JsonObject
                    {
                        ["name"] = $"{name}/versions/{number}",
                        ["payload"] = new JsonObject { ["data"] = Convert.ToBase64String(secret.Versions[number - 1]) },
                    });
                default:
                    return (404, "NOT_FOUND", Message($"Secret [{name}] not found or has no versions."));
            }
        }
    }

    private async Task TokenAsync(HttpContext context, string path, string body)
    {
        var form = body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "", StringComparer.Ordinal);
        var granted = path == "/token"
            ? form.GetValueOrDefault("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer" && VerifyAssertion(form.GetValueOrDefault("assertion") ?? "")
            : form.GetValueOrDefault("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange"
              && FederatedSubjectTokens.ContainsKey(form.GetValueOrDefault("subject_token") ?? "")
              && (form.GetValueOrDefault("scope") ?? "").Contains("cloud-platform", StringComparison.Ordinal);
        if (!granted)
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Invalid grant." }.ToJsonString());
            return;
        }

        Interlocked.Increment(ref _exchanges);
        await IssueAsync(context, path == "/v1/token");
    }

    private async Task MetadataAsync(HttpContext context, string path)
    {
        if (context.Request.Headers["Metadata-Flavor"] != "Google")
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync("Missing Metadata-Flavor:Google header.");
            return;
        }

        if (path != "/computeMetadata/v1/instance/service-accounts/default/token" || !MetadataServerEnabled)
        {
            context.Response.StatusCode = 404;
            return;
        }

        Interlocked.Increment(ref _exchanges);
        context.Response.Headers["Metadata-Flavor"] = "Google";
        await IssueAsync(context, exchange: false);
    }

    private async Task IssueAsync(HttpContext context, bool exchange)
    {
        var token = "ya29.fake-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = true;
        var response = new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" };
        if (exchange)
        {
            response["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token";
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString());
    }

    /// <summary>RS256 over header.payload with the service account's key; issuer, audience and scope as Google checks them.</summary>
    private bool VerifyAssertion(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!ServiceAccountKey.VerifyData(signed, Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return false;
        }

        var claims = JsonNode.Parse(Base64Url(parts[1]))!;
        return (string?)claims["iss"] == ServiceAccountEmail
               && (string?)claims["aud"] is "https://oauth2.googleapis.com/token" or "https://www.googleapis.com/oauth2/v4/token"
               && ((string?)claims["scope"] ?? "").Contains("cloud-platform", StringComparison.Ordinal)
               && (long?)claims["exp"] > DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    private static byte[] Base64Url(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    private static JsonObject SecretJson(string name, Secret secret) => new()
    {
        ["name"] = name,
        ["replication"] = new JsonObject { ["automatic"] = new JsonObject() },
        ["createTime"] = "2026-01-01T00:00:00Z",
        ["labels"] = new JsonObject(secret.Labels.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        ["etag"] = $"\"{secret.Versions.Count}\"",
    };

    private static JsonObject Message(string message) => new() { ["message"] = message };

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        return context.Response.WriteAsync(new JsonObject { ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = code } }.ToJsonString());
    }

    private sealed record Secret(Dictionary<string, string> Labels)
    {
        public List<byte[]> Versions { get; } = [];
    }
}
