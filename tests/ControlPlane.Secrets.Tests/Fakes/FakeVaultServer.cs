using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>
/// An in-process Vault on 127.0.0.1 with the HTTP behaviour our client depends on, shaped after Vault's API
/// docs: KV v2 <c>data</c>/<c>metadata</c> endpoints with versions and check-and-set, token lookup/renew-self,
/// Kubernetes login, <c>{"errors":[...]}</c> bodies, 403 "permission denied" for bad tokens and policies,
/// 503 "Vault is sealed". Tokens expire on the given <see cref="TimeProvider"/>.
/// </summary>
public sealed class FakeVaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, TokenInfo> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KvSecret> _kv = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private FakeVaultServer(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    private int _throttle;

    public Uri Address { get; private set; } = null!;

    public HashSet<string> Mounts { get; } = ["secret"];

    /// <summary>Kubernetes auth roles: role name → the service account JWT it accepts.</summary>
    public Dictionary<string, string> KubernetesRoles { get; } = new(StringComparer.Ordinal);

    public TimeSpan LoginTtl { get; set; } = TimeSpan.FromHours(1);

    public bool LoginTokensRenewable { get; set; } = true;

    /// <summary>Renewals never extend a token past this age (Vault's max TTL).</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(32);

    /// <summary>Path prefixes (e.g. "secret/data/forbidden") every token's policy denies.</summary>
    public List<string> DeniedPaths { get; } = [];

    /// <summary>Decides, per request, whether Vault answers as sealed (503).</summary>
    public Func<string, string, bool>? SealedWhen { get; set; }

    public TimeSpan ResponseDelay { get; set; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Starts on a free loopback port; with <paramref name="certificate"/> it speaks HTTPS only.</summary>
    public static async Task<FakeVaultServer> StartAsync(TimeProvider time, CancellationToken cancellationToken, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeVaultServer(app, time);
        app.Map("/v1/{**path}", server.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();
        server.Address = new Uri(address);
        return server;
    }

    /// <summary>Creates a token as `vault token create` would; ttl zero means no expiry (like a root token).</summary>
    public string IssueToken(TimeSpan ttl, bool renewable = false)
    {
        var token = "hvs." + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        _tokens[token] = new TokenInfo(_time.GetUtcNow(), ttl, renewable) { ExpiresAt = ttl == TimeSpan.Zero ? null : _time.GetUtcNow() + ttl };
        return token;
    }

    public void RevokeAllTokens() => _tokens.Clear();

    /// <summary>The next <paramref name="requests"/> requests exceed a rate limit quota (429).</summary>
    public void Throttle(int requests) => Interlocked.Exchange(ref _throttle, requests);

    public int CurrentVersion(string mountAndPath)
    {
        lock (_gate)
        {
            return _kv.TryGetValue(mountAndPath, out var secret) ? secret.Versions.Count : 0;
        }
    }

    public IReadOnlyDictionary<string, string>? LatestData(string mountAndPath)
    {
        lock (_gate)
        {
            return _kv.TryGetValue(mountAndPath, out var secret) && secret.Versions[^1] is { DeletionTime: null } latest ? latest.Data : null;
        }
    }

    public bool HasMetadata(string mountAndPath)
    {
        lock (_gate)
        {
            return _kv.ContainsKey(mountAndPath);
        }
    }

    public int Count(string method, string path) => Requests.Count(r => r.Method == method && r.Path == path);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var path = (string)context.Request.RouteValues["path"]!;
        var method = context.Request.Method;
        var token = context.Request.Headers["X-Vault-Token"].ToString();
        Requests.Enqueue(new RecordedRequest(method, path, context.Request.Headers["X-Vault-Namespace"].ToString(), token.Length > 0));

        if (ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, context.RequestAborted);
        }

        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            // A rate limit quota: Vault answers 429 with Retry-After.
            context.Response.Headers.RetryAfter = "0";
            await Errors(context, 429, $"request path \"{path}\": rate limit quota exceeded");
            return;
        }

        if (SealedWhen?.Invoke(method, path) == true)
        {
            await Errors(context, 503, "Vault is sealed");
            return;
        }

        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.ContentType.Count > 0)
        {
            body = (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted)) as JsonObject;
        }

        if (path.StartsWith("auth/kubernetes/login", StringComparison.Ordinal) && method == "POST")
        {
            await LoginAsync(context, body);
            return;
        }

        if (!IsValid(token))
        {
            await Errors(context, 403, "permission denied");
            return;
        }

        switch (path)
        {
            case "auth/token/lookup-self" when method == "GET":
                await LookupAsync(context, token);
                return;
            case "auth/token/renew-self" when method == "POST":
                await RenewAsync(context, token);
                return;
        }

        if (DeniedPaths.Any(denied => path.StartsWith(denied, StringComparison.Ordinal)))
        {
            await Errors(context, 403, "1 error occurred:\n\t* permission denied\n\n");
            return;
        }

        var parts = path.Split('/', 3);
        if (parts.Length == 3 && Mounts.Contains(parts[0]) && parts[1] is "data" or "metadata")
        {
            var key = parts[0] + "/" + parts[2];
            await (parts[1] == "data" ? DataAsync(context, method, key, body) : MetadataAsync(context, method, key));
            return;
        }

        await Errors(context, 404, $"no handler for route \"{path}\". route entry not found.");
    }

    private async Task LoginAsync(HttpContext context, JsonObject? body)
    {
        var role = body?["role"]?.GetValue<string>() ?? "";
        if (!KubernetesRoles.TryGetValue(role, out var expectedJwt))
        {
            await Errors(context, 400, $"invalid role name \"{role}\"");
            return;
        }

        if (body?["jwt"]?.GetValue<string>() != expectedJwt)
        {
            await Errors(context, 403, "permission denied");
            return;
        }

        var token = IssueToken(LoginTtl, LoginTokensRenewable);
        await Json(context, 200, Envelope(auth: Auth(token, LoginTtl, LoginTokensRenewable, role)));
    }

    private async Task LookupAsync(HttpContext context, string token)
    {
        var info = _tokens[token];
        var ttl = info.ExpiresAt is { } expires ? (long)(expires - _time.GetUtcNow()).TotalSeconds : 0;
        await Json(context, 200, Envelope(data: new JsonObject
        {
            ["accessor"] = "accessor-" + token[^6..],
            ["creation_time"] = info.Created.ToUnixTimeSeconds(),
            ["creation_ttl"] = (long)info.Ttl.TotalSeconds,
            ["expire_time"] = info.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture),
            ["id"] = token,
            ["policies"] = new JsonArray("default", "econt-control-plane"),
            ["renewable"] = info.Renewable,
            ["ttl"] = ttl,
            ["type"] = "service",
        }));
    }

    private async Task RenewAsync(HttpContext context, string token)
    {
        var info = _tokens[token];
        if (!info.Renewable || info.ExpiresAt is null)
        {
            await Errors(context, 400, "lease is not renewable");
            return;
        }

        var now = _time.GetUtcNow();
        var limit = info.Created + MaxTtl;
        info.ExpiresAt = now + info.Ttl < limit ? now + info.Ttl : limit;
        info.Renewals++;
        var lease = info.ExpiresAt.Value - now;
        var auth = Auth(token, lease, renewable: true, role: null);
        await Json(context, 200, Envelope(auth: auth));
    }

    private async Task DataAsync(HttpContext context, string method, string key, JsonObject? body)
    {
        lock (_gate)
        {
            _kv.TryGetValue(key, out var secret);
            switch (method)
            {
                case "GET":
                    if (secret is null)
                    {
                        context.Response.StatusCode = 404;
                        context.Items["json"] = new JsonObject { ["errors"] = new JsonArray() };
                        break;
                    }

                    var latest = secret.Versions[^1];
                    var alive = latest.DeletionTime is null && !latest.Destroyed;
                    context.Response.StatusCode = alive ? 200 : 404;
                    context.Items["json"] = Envelope(data: new JsonObject
                    {
                        ["data"] = alive ? ToJson(latest.Data) : null,
                        ["metadata"] = VersionMetadata(latest, secret.Versions.Count),
                    });
                    break;

                case "POST" or "PUT":
                    var current = secret?.Versions.Count ?? 0;
                    if (body?["options"]?["cas"] is { } cas && cas.GetValue<long>() != current)
                    {
                        context.Response.StatusCode = 400;
                        context.Items["json"] = new JsonObject { ["errors"] = new JsonArray("check-and-set parameter did not match the current version") };
                        break;
                    }

                    var data = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (k, v) in body?["data"] as JsonObject ?? [])
                    {
                        data[k] = v!.GetValue<string>();
                    }

                    secret ??= _kv[key] = new KvSecret();
                    var version = new KvVersion(data, _time.GetUtcNow());
                    secret.Versions.Add(version);
                    context.Response.StatusCode = 200;
                    context.Items["json"] = Envelope(data: VersionMetadata(version, secret.Versions.Count));
                    break;

                case "DELETE":
                    if (secret is not null)
                    {
                        secret.Versions[^1].DeletionTime = _time.GetUtcNow();
                    }

                    context.Response.StatusCode = 204;
                    break;

                default:
                    context.Response.StatusCode = 405;
                    context.Items["json"] = new JsonObject { ["errors"] = new JsonArray("unsupported operation") };
                    break;
            }
        }

        if (context.Items["json"] is JsonObject json)
        {
            await Json(context, context.Response.StatusCode, json);
        }
    }

    private async Task MetadataAsync(HttpContext context, string method, string key)
    {
        JsonObject? json = null;
        lock (_gate)
        {
            if (method == "DELETE")
            {
                _kv.Remove(key);
                context.Response.StatusCode = 204;
            }
            else if (method == "GET" && _kv.TryGetValue(key, out var secret))
            {
                var versions = new JsonObject();
                for (var i = 0; i < secret.Versions.Count; i++)
                {
                    versions[(i + 1).ToString(CultureInfo.InvariantCulture)] = VersionMetadata(secret.Versions[i], i + 1);
                }

                json = Envelope(data: new JsonObject { ["current_version"] = secret.Versions.Count, ["oldest_version"] = 1, ["versions"] = versions });
                context.Response.StatusCode = 200;
            }
            else
            {
                json = new JsonObject { ["errors"] = new JsonArray() };
                context.Response.StatusCode = 404;
            }
        }

        if (json is not null)
        {
            await Json(context, context.Response.StatusCode, json);
        }
    }

    private bool IsValid(string token) =>
        token.Length > 0 && _tokens.TryGetValue(token, out var info) && (info.ExpiresAt is null || _time.GetUtcNow() < info.ExpiresAt);

    private static JsonObject Auth(string token, TimeSpan lease, bool renewable, string? role) => new()
    {
        ["client_token"] = token,
        ["accessor"] = "accessor-" + token[^6..],
        ["policies"] = new JsonArray("default", "econt-control-plane"),
        ["token_policies"] = new JsonArray("default", "econt-control-plane"),
        ["metadata"] = role is null ? null : new JsonObject { ["role"] = role, ["service_account_name"] = "econt-control-plane", ["service_account_namespace"] = "econt-system" },
        ["lease_duration"] = (long)lease.TotalSeconds,
        ["renewable"] = renewable,
        ["token_type"] = "service",
        ["orphan"] = true,
    };

    private static JsonObject Envelope(JsonNode? data = null, JsonObject? auth = null) => new()
    {
        ["request_id"] = Guid.NewGuid().ToString(),
        ["lease_id"] = "",
        ["renewable"] = false,
        ["lease_duration"] = 0,
        ["data"] = data,
        ["wrap_info"] = null,
        ["warnings"] = null,
        ["auth"] = auth,
    };

    private static JsonObject VersionMetadata(KvVersion version, int number) => new()
    {
        ["created_time"] = version.Created.ToString("O", CultureInfo.InvariantCulture),
        ["custom_metadata"] = null,
        ["deletion_time"] = version.DeletionTime?.ToString("O", CultureInfo.InvariantCulture) ?? "",
        ["destroyed"] = version.Destroyed,
        ["version"] = number,
    };

    private static JsonObject ToJson(Dictionary<string, string> data)
    {
        var json = new JsonObject();
        foreach (var (k, v) in data)
        {
            json[k] = v;
        }

        return json;
    }

    private static Task Errors(HttpContext context, int status, string error) =>
        Json(context, status, new JsonObject { ["errors"] = new JsonArray(error) });

    private static async Task Json(HttpContext context, int status, JsonObject json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    public sealed record RecordedRequest(string Method, string Path, string Namespace, bool HadToken);

    private sealed record TokenInfo(DateTimeOffset Created, TimeSpan Ttl, bool Renewable)
    {
        public DateTimeOffset? ExpiresAt { get; set; }

        public int Renewals { get; set; }
    }

    private sealed class KvSecret
    {
        public List<KvVersion> Versions { get; } = [];
    }

    private sealed record KvVersion(Dictionary<string, string> Data, DateTimeOffset Created)
    {
        public DateTimeOffset? DeletionTime { get; set; }

        public bool Destroyed { get; set; }
    }
}
