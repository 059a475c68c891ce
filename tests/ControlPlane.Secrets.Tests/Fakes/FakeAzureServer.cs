using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>
/// Azure Key Vault (secrets, REST 7.x) and the Entra ID token endpoint over TLS with a test CA, under the names the
/// real services have: vaults at <c>https://{vault}.vault.fake.localhost:port/</c> (the vault is the host's first
/// label), Entra ID at <c>https://login.fake.localhost:port/</c>; <see cref="Handler"/> connects every name to 127.0.0.1.
/// Key Vault answers an unauthenticated request with 401 and the bearer challenge the SDK's challenge-based policy
/// expects; it accepts only tokens this fake issued (HMAC-signed, audience = its resource, the tenant, not expired),
/// a known api-version, and <c>application/json</c> bodies. Versions are kept per secret with their own tags; delete
/// is soft (the name stays taken, PUT answers 409) until purged. Errors are <c>{"error":{"code","message"}}</c>.
/// </summary>
public sealed partial class FakeAzureServer : ICloudFake, IAsyncDisposable
{
    public const string TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string ClientId = "0f5c1a5e-1d39-4f5c-9a0e-4c3b2a190000";
    public const string ClientSecret = "fake-client-secret-value-000";

    private static readonly HashSet<string> ApiVersions = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6"];

    private readonly Dictionary<string, Secret> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Secret> _deleted = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _denied = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private readonly Lock _gate = new();
    private const string VaultDomain = "vault.fake.localhost";
    private const string LoginHost = "login.fake.localhost";

    private readonly TestCertificates _certificates = TestCertificates.Create("fake Azure CA", $"*.{VaultDomain}", LoginHost);
    private WebApplication _app = null!;
    private int _throttle;
    private int _requests;
    private int _tokensIssued;
    private int _challenges;

    public int Port { get; private set; }

    /// <summary>The Entra ID authority host (<c>AZURE_AUTHORITY_HOST</c>).</summary>
    public Uri AuthorityHost => new($"https://{LoginHost}:{Port}/");

    /// <summary>The resource Key Vault names in its challenge; tokens must carry it as audience (the real one is https://vault.azure.net).</summary>
    public static string Resource => $"https://{VaultDomain}";

    /// <summary>The value of <c>SECRET_AZURE_VAULT_URL</c>: the real shape, <c>https://{vault}.vault.azure.net/</c>, on this fake.</summary>
    public string VaultUrl => $"https://{{vault}}.{VaultDomain}:{Port}/";

    /// <summary>Federated tokens (projected service account tokens) Entra ID trusts as client assertions of <see cref="ClientId"/>.</summary>
    public ConcurrentDictionary<string, bool> FederatedTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether purge is refused as on a vault with purge protection.</summary>
    public bool PurgeProtection { get; set; }

    public int TokensIssued => _tokensIssued;

    /// <summary>Unauthenticated requests answered with the bearer challenge.</summary>
    public int Challenges => _challenges;

    public int RequestCount => _requests;

    /// <summary>Api-versions the SDK sent, to show the fake was spoken to as Key Vault is.</summary>
    public ConcurrentDictionary<string, bool> ApiVersionsSeen { get; } = new(StringComparer.Ordinal);

    public static async Task<FakeAzureServer> StartAsync(CancellationToken cancellationToken)
    {
        var fake = new FakeAzureServer();
        (fake._app, var address) = await LoopbackServer.StartAsync(fake.HandleAsync, cancellationToken, fake._certificates.Server);
        fake.Port = address.Port;
        return fake;
    }

    /// <summary>An HTTP transport that trusts this fake's CA (and nothing else), for the SDK's clients and credentials.</summary>
    public HttpPipelineTransport Transport() => new HttpClientTransport(new HttpClient(Handler()));

    /// <summary>Resolves every host name to this fake (as DNS would the real names) and trusts only its CA; host names are still checked.</summary>
    public SocketsHttpHandler Handler()
    {
        var authority = _certificates.Authority;
        var port = Port;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is not X509Certificate2 leaf)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(leaf);
        };
        return handler;
    }

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
            return _secrets.TryGetValue($"{container}/{secretName}", out var secret) ? secret.Versions.Count : 0;
        }
    }

    public bool IsSoftDeleted(string container, string secretName)
    {
        lock (_gate)
        {
            return _deleted.ContainsKey($"{container}/{secretName}");
        }
    }

    public void PutForeign(string container, string secretName, string json)
    {
        lock (_gate)
        {
            var secret = new Secret();
            secret.Versions.Add(new Version(NewVersionId(), json, "application/json", []));
            _secrets[$"{container}/{secretName}"] = secret;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _certificates.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var path = context.Request.Path.Value ?? "";
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);

        if (TokenPath().Match(path) is { Success: true } token)
        {
            await TokenAsync(context, token.Groups["tenant"].Value, body);
            return;
        }

        var host = context.Request.Host.Host;
        if (!host.EndsWith($".{VaultDomain}", StringComparison.OrdinalIgnoreCase) || VaultPath().Match(path) is not { Success: true } vaultPath)
        {
            await Error(context, 404, "NotFound", $"No route for {path}.");
            return;
        }

        // Key Vault authenticates first: without a valid bearer token every request gets the challenge.
        if (!Authenticated(context.Request.Headers.Authorization.ToString()))
        {
            Interlocked.Increment(ref _challenges);
            context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"{AuthorityHost}{TenantId}\", resource=\"{Resource}\"";
            await Error(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }

        var apiVersion = context.Request.Query["api-version"].ToString();
        if (!ApiVersions.Contains(apiVersion))
        {
            await Error(context, 400, "BadParameter", $"The specified version ({apiVersion}) is not recognized. Consider using the latest supported version (7.6).");
            return;
        }

        ApiVersionsSeen[apiVersion] = true;
        if (body.Length > 0 && context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            await Error(context, 400, "BadParameter", "The request content type is not supported; Key Vault takes application/json.");
            return;
        }

        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            context.Response.Headers.RetryAfter = "0";
            await Error(context, 429, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached");
            return;
        }

        var vault = host[..host.IndexOf('.', StringComparison.Ordinal)];
        var collection = vaultPath.Groups["collection"].Value;
        var name = vaultPath.Groups["name"].Value;
        var (status, response) = Operate(context.Request.Method, vault, collection, name, vaultPath.Groups["version"].Value, body);
        context.Response.StatusCode = status;
        if (response is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
        }
    }

    private (int Status, JsonObject? Body) Operate(string method, string vault, string collection, string name, string version, string body)
    {
        lock (_gate)
        {
            if (_denied.Contains(name))
            {
                return (403, ErrorBody("Forbidden",
                    $"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid={ClientId};\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/subscriptions/0000/resourcegroups/econt/providers/microsoft.keyvault/vaults/{vault}/secrets/{name}'\r\nAssignment: (not found)\r\nVault: {vault};location=westeurope\r\n",
                    "ForbiddenByRbac"));
            }

            var key = $"{vault}/{name}";
            _secrets.TryGetValue(key, out var secret);
            switch (method, collection)
            {
                case ("GET", "secrets"):
                    var found = secret is null ? null : version.Length == 0 ? secret.Versions[^1] : secret.Versions.FirstOrDefault(v => v.Id == version);
                    return found is null ? (404, NotFound(name)) : (200, Bundle(vault, name, found));
                case ("PUT", "secrets") when version.Length == 0:
                    if (_deleted.ContainsKey(key))
                    {
                        return (409, ErrorBody("Conflict",
                            $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."));
                    }

                    var request = JsonNode.Parse(body) as JsonObject;
                    if ((string?)request?["value"] is not { } value)
                    {
                        return (400, ErrorBody("BadParameter", "Property 'value' is required."));
                    }

                    var tags = request["tags"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal) ?? [];
                    secret ??= _secrets[key] = new Secret();
                    var added = new Version(NewVersionId(), value, (string?)request["contentType"], tags);
                    secret.Versions.Add(added);
                    return (200, Bundle(vault, name, added));
                case ("DELETE", "secrets") when secret is not null:
                    _secrets.Remove(key);
                    _deleted[key] = secret;
                    return (200, Deleted(vault, name, secret));
                case ("GET", "deletedsecrets"):
                    return _deleted.TryGetValue(key, out var gone) ? (200, Deleted(vault, name, gone)) : (404, ErrorBody("SecretNotFound", $"Deleted Secret not found: {name}"));
                case ("DELETE", "deletedsecrets"):
                    if (PurgeProtection)
                    {
                        return (403, ErrorBody("Forbidden", $"Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: {vault}"));
                    }

                    return _deleted.Remove(key) ? (204, null) : (404, ErrorBody("SecretNotFound", $"Deleted Secret not found: {name}"));
                default:
                    return (404, NotFound(name));
            }
        }
    }

    private async Task TokenAsync(HttpContext context, string tenant, string body)
    {
        var form = body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "", StringComparer.Ordinal);
        var scope = form.GetValueOrDefault("scope") ?? "";
        var (error, description) =
            tenant != TenantId ? ("invalid_request", $"AADSTS90002: Tenant '{tenant}' not found.")
            : form.GetValueOrDefault("grant_type") != "client_credentials" ? ("unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
            : form.GetValueOrDefault("client_id") != ClientId ? ("unauthorized_client", $"AADSTS700016: Application with identifier '{form.GetValueOrDefault("client_id")}' was not found in the directory.")
            : !scope.Split(' ').Contains($"{Resource}/.default") ? ("invalid_scope", $"AADSTS70011: The provided value for the input parameter 'scope' is not valid ({scope}).")
            : form.TryGetValue("client_secret", out var secret) ? secret == ClientSecret ? (null, null) : ("invalid_client", "AADSTS7000215: Invalid client secret provided.")
            : form.GetValueOrDefault("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ? ("invalid_client", "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
            : FederatedTokens.ContainsKey(form.GetValueOrDefault("client_assertion") ?? "") ? (null, null)
            : ("invalid_client", "AADSTS70021: No matching federated identity record found for presented assertion.");
        context.Response.ContentType = "application/json; charset=utf-8";
        if (error is not null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(new JsonObject { ["error"] = error, ["error_description"] = description, ["error_codes"] = new JsonArray(), ["trace_id"] = Guid.NewGuid().ToString() }.ToJsonString());
            return;
        }

        Interlocked.Increment(ref _tokensIssued);
        await context.Response.WriteAsync(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = 3599,
            ["ext_expires_in"] = 3599,
            ["access_token"] = Issue(),
        }.ToJsonString());
    }

    /// <summary>A JWT-shaped token signed with this fake's key: what a resource checks is the signature, audience, tenant and expiry.</summary>
    private string Issue()
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}"""));
        var payload = Base64Url(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["aud"] = Resource,
            ["tid"] = TenantId,
            ["appid"] = ClientId,
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        }.ToJsonString()));
        return $"{header}.{payload}.{Base64Url(HMACSHA256.HashData(_signingKey, Encoding.ASCII.GetBytes($"{header}.{payload}")))}";
    }

    private bool Authenticated(string authorization)
    {
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization["Bearer ".Length..].Split('.') is not [var header, var payload, var signature])
        {
            return false;
        }

        var expected = Base64Url(HMACSHA256.HashData(_signingKey, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return false;
        }

        var claims = JsonNode.Parse(Convert.FromBase64String(payload.Replace('-', '+').Replace('_', '/').PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')))!;
        return (string?)claims["aud"] == Resource && (string?)claims["tid"] == TenantId && (long?)claims["exp"] > DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    private JsonObject Bundle(string vault, string name, Version version) => new()
    {
        ["value"] = version.Value,
        ["contentType"] = version.ContentType,
        ["id"] = $"https://{vault}.{VaultDomain}:{Port}/secrets/{name}/{version.Id}",
        ["attributes"] = new JsonObject
        {
            ["enabled"] = true,
            ["created"] = version.Created,
            ["updated"] = version.Created,
            ["recoveryLevel"] = "Recoverable+Purgeable",
            ["recoverableDays"] = 90,
        },
        ["tags"] = new JsonObject(version.Tags.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
    };

    private JsonObject Deleted(string vault, string name, Secret secret)
    {
        var bundle = Bundle(vault, name, secret.Versions[^1]);
        bundle.Remove("value");
        bundle["recoveryId"] = $"https://{vault}.{VaultDomain}:{Port}/deletedsecrets/{name}";
        bundle["deletedDate"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        bundle["scheduledPurgeDate"] = DateTimeOffset.UtcNow.AddDays(90).ToUnixTimeSeconds();
        return bundle;
    }

    private static JsonObject NotFound(string name) => ErrorBody("SecretNotFound",
        $"A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182");

    private static JsonObject ErrorBody(string code, string message, string? inner = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (inner is not null)
        {
            error["innererror"] = new JsonObject { ["code"] = inner };
        }

        return new JsonObject { ["error"] = error };
    }

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(ErrorBody(code, message).ToJsonString());
    }

    private static string NewVersionId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^/(?<tenant>[^/]+)/oauth2/v2.0/token$")]
    private static partial Regex TokenPath();

    [GeneratedRegex("^/(?<collection>secrets|deletedsecrets)/(?<name>[-a-zA-Z0-9]{1,127})(/(?<version>[0-9a-f]{32})?)?/?$")]
    private static partial Regex VaultPath();

    private sealed class Secret
    {
        public List<Version> Versions { get; } = [];
    }

    private sealed record Version(string Id, string Value, string? ContentType, Dictionary<string, string> Tags)
    {
        public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }
}
