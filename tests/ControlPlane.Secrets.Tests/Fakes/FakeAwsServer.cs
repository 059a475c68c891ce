using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>
/// AWS Secrets Manager (JSON 1.1) and STS (AssumeRoleWithWebIdentity, query protocol) on 127.0.0.1, shaped
/// after the API references. It checks what AWS checks: content type, X-Amz-Target, a SigV4 signature
/// recomputed here from the request (an implementation independent of the client's), the date's freshness and
/// the session token; answers errors as <c>{"__type":…,"message":…}</c> with AWS's HTTP statuses; keeps
/// versions with the AWSCURRENT/AWSPREVIOUS stages.
/// </summary>
public sealed class FakeAwsServer : ICloudFake, IAsyncDisposable
{
    public const string AccessKeyId = "AKIDEXAMPLEFAKE00001";
    public const string SecretAccessKey = "fake-secret-access-key-for-tests-only";

    private readonly Dictionary<string, Secret> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Secret, string? Token)> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _denied = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private WebApplication _app = null!;
    private int _throttle;
    private int _requests;

    public Uri Address { get; private set; } = null!;

    /// <summary>STS: role ARN → the web identity token it accepts.</summary>
    public ConcurrentDictionary<string, string> WebIdentityRoles { get; } = new(StringComparer.Ordinal);

    public int StsExchanges => _stsExchanges;

    private int _stsExchanges;

    public int RequestCount => _requests;

    public static async Task<FakeAwsServer> StartAsync(CancellationToken cancellationToken)
    {
        var fake = new FakeAwsServer();
        fake._keys[AccessKeyId] = (SecretAccessKey, null);
        (fake._app, fake.Address) = await LoopbackServer.StartAsync(fake.HandleAsync, cancellationToken);
        return fake;
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
            return _secrets.TryGetValue(Key(container, secretName), out var secret) ? secret.Versions.Count : 0;
        }
    }

    public void PutForeign(string container, string secretName, string json)
    {
        lock (_gate)
        {
            var secret = new Secret(secretName, []);
            secret.Versions.Add(new Version(Guid.NewGuid().ToString(), json, ["AWSCURRENT"]));
            _secrets[Key(container, secretName)] = secret;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static string Key(string region, string name) => region + "/" + name;

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        context.Request.EnableBuffering();
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true);
        var body = await reader.ReadToEndAsync(context.RequestAborted);

        if (context.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true)
        {
            await StsAsync(context, body);
            return;
        }

        if (context.Request.Method != "POST" || context.Request.Path != "/")
        {
            await Error(context, 404, "UnknownOperationException", "");
            return;
        }

        if (context.Request.ContentType != "application/x-amz-json-1.1")
        {
            await Error(context, 400, "SerializationException", "Content type must be application/x-amz-json-1.1.");
            return;
        }

        var target = context.Request.Headers["X-Amz-Target"].ToString();
        if (!target.StartsWith("secretsmanager.", StringComparison.Ordinal))
        {
            await Error(context, 400, "UnknownOperationException", "");
            return;
        }

        var (authError, region) = Authenticate(context.Request, body);
        if (authError is not null)
        {
            await Error(context, authError.Value.Status, authError.Value.Code, authError.Value.Message);
            return;
        }

        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            await Error(context, 400, "ThrottlingException", "Rate exceeded");
            return;
        }

        var request = JsonNode.Parse(body) as JsonObject ?? [];
        var name = (string?)(request["SecretId"] ?? request["Name"]) ?? "";
        bool denied;
        lock (_gate)
        {
            denied = _denied.Contains(name);
        }

        if (denied)
        {
            await Error(context, 400, "AccessDeniedException",
                $"User: arn:aws:sts::123456789012:assumed-role/econt/econt-controlplane is not authorized to perform: {target} on resource: {name} because no identity-based policy allows the {target} action");
            return;
        }

        var (statusCode, response) = Operate(target["secretsmanager.".Length..], region!, name, request);
        if (statusCode != 200)
        {
            await Error(context, statusCode, (string)response["__type"]!, (string)response["message"]!);
            return;
        }

        context.Response.ContentType = "application/x-amz-json-1.1";
        await context.Response.WriteAsync(response.ToJsonString(), context.RequestAborted);
    }

    private (int, JsonObject) Operate(string operation, string region, string name, JsonObject request)
    {
        lock (_gate)
        {
            var key = Key(region, name);
            _secrets.TryGetValue(key, out var secret);
            var arn = $"arn:aws:secretsmanager:{region}:123456789012:secret:{name}-AbCdEf";
            switch (operation)
            {
                case "GetSecretValue" when secret is null:
                case "DescribeSecret" when secret is null:
                case "PutSecretValue" when secret is null:
                case "DeleteSecret" when secret is null:
                    return NotFound();
                case "GetSecretValue":
                    var current = secret.Versions.LastOrDefault(v => v.Stages.Contains("AWSCURRENT"));
                    return current is null
                        ? NotFound()
                        : (200, new JsonObject
                        {
                            ["ARN"] = arn,
                            ["Name"] = name,
                            ["VersionId"] = current.Id,
                            ["SecretString"] = current.Value,
                            ["VersionStages"] = new JsonArray([.. current.Stages.Select(s => (JsonNode)s)]),
                            ["CreatedDate"] = 1.7e9,
                        });
                case "DescribeSecret":
                    return (200, new JsonObject
                    {
                        ["ARN"] = arn,
                        ["Name"] = name,
                        ["Tags"] = new JsonArray([.. secret.Tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]),
                    });
                case "CreateSecret":
                    if (secret is not null)
                    {
                        return (400, Err("ResourceExistsException", $"The operation failed because the secret {name} already exists."));
                    }

                    secret = new Secret(name, []);
                    foreach (var tag in request["Tags"]?.AsArray() ?? [])
                    {
                        secret.Tags[(string)tag!["Key"]!] = (string)tag["Value"]!;
                    }

                    var first = new Version((string?)request["ClientRequestToken"] ?? Guid.NewGuid().ToString(), (string)request["SecretString"]!, ["AWSCURRENT"]);
                    secret.Versions.Add(first);
                    _secrets[key] = secret;
                    return (200, new JsonObject { ["ARN"] = arn, ["Name"] = name, ["VersionId"] = first.Id });
                case "PutSecretValue":
                    var token = (string?)request["ClientRequestToken"] ?? Guid.NewGuid().ToString();
                    var value = (string)request["SecretString"]!;
                    if (secret.Versions.FirstOrDefault(v => v.Id == token) is { } same)
                    {
                        return same.Value == value
                            ? (200, new JsonObject { ["ARN"] = arn, ["Name"] = name, ["VersionId"] = same.Id })
                            : (400, Err("ResourceExistsException", "You can't modify an existing version, you can only create a new version."));
                    }

                    foreach (var version in secret.Versions)
                    {
                        version.Stages.Remove("AWSPREVIOUS");
                        if (version.Stages.Remove("AWSCURRENT"))
                        {
                            version.Stages.Add("AWSPREVIOUS");
                        }
                    }

                    secret.Versions.Add(new Version(token, value, ["AWSCURRENT"]));
                    return (200, new JsonObject { ["ARN"] = arn, ["Name"] = name, ["VersionId"] = token, ["VersionStages"] = new JsonArray("AWSCURRENT") });
                case "DeleteSecret":
                    _secrets.Remove(key);
                    return (200, new JsonObject { ["ARN"] = arn, ["Name"] = name, ["DeletionDate"] = 1.7e9 });
                default:
                    return (400, Err("UnknownOperationException", ""));
            }
        }

        static (int, JsonObject) NotFound() => (400, Err("ResourceNotFoundException", "Secrets Manager can't find the specified secret."));
    }

    /// <summary>SigV4 verification: recompute the canonical request and the signature from the request as received.</summary>
    private ((int Status, string Code, string Message)? Error, string? Region) Authenticate(HttpRequest request, string body)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return ((400, "MissingAuthenticationTokenException", "Missing Authentication Token"), null);
        }

        var parts = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return ((400, "IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'."), null);
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[3] != "secretsmanager" || scope[4] != "aws4_request")
        {
            return ((400, "IncompleteSignatureException", "Credential should be scoped to a valid region and service."), null);
        }

        if (!_keys.TryGetValue(scope[0], out var key))
        {
            return ((400, "UnrecognizedClientException", "The security token included in the request is invalid."), null);
        }

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt)
            || Math.Abs((DateTime.UtcNow - signedAt).TotalMinutes) > 5 || amzDate[..8] != scope[1])
        {
            return ((400, "InvalidSignatureException", "Signature expired or the date does not match the credential scope."), null);
        }

        if (key.Token is not null && request.Headers["X-Amz-Security-Token"].ToString() != key.Token)
        {
            return ((400, "UnrecognizedClientException", "The security token included in the request is invalid."), null);
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("x-amz-date") || !names.Contains("x-amz-target"))
        {
            return ((400, "InvalidSignatureException", "host, x-amz-date and x-amz-target must be signed."), null);
        }

        var canonical = new StringBuilder();
        canonical.Append(request.Method).Append('\n').Append(request.Path.Value).Append('\n').Append('\n');
        foreach (var name in names)
        {
            var value = name == "host" ? request.Host.Value : request.Headers[name].ToString();
            canonical.Append(name).Append(':').Append(value!.Trim()).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{string.Join('/', scope[1..])}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + key.Secret), scope[1]), scope[2]), scope[3]), "aws4_request");
        var expected = Hex(Hmac(signingKey, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? (null, scope[2])
            : ((400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."), null);
    }

    private async Task StsAsync(HttpContext context, string body)
    {
        var form = body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "", StringComparer.Ordinal);
        XNamespace ns = "https://sts.amazonaws.com/doc/2011-06-15/";
        if (form.GetValueOrDefault("Action") != "AssumeRoleWithWebIdentity" || form.GetValueOrDefault("Version") != "2011-06-15")
        {
            await StsError(context, 400, "InvalidAction", "Could not find operation " + form.GetValueOrDefault("Action"));
            return;
        }

        var role = form.GetValueOrDefault("RoleArn") ?? "";
        if (!WebIdentityRoles.TryGetValue(role, out var accepted) || form.GetValueOrDefault("WebIdentityToken") != accepted)
        {
            await StsError(context, 400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider.");
            return;
        }

        Interlocked.Increment(ref _stsExchanges);
        var accessKey = "ASIA" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));
        var session = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        _keys[accessKey] = (secret, session);
        var document = new XElement(ns + "AssumeRoleWithWebIdentityResponse",
            new XElement(ns + "AssumeRoleWithWebIdentityResult",
                new XElement(ns + "SubjectFromWebIdentityToken", "system:serviceaccount:econt-system:controlplane"),
                new XElement(ns + "Audience", "sts.amazonaws.com"),
                new XElement(ns + "AssumedRoleUser",
                    new XElement(ns + "Arn", $"arn:aws:sts::123456789012:assumed-role/econt/{form.GetValueOrDefault("RoleSessionName")}"),
                    new XElement(ns + "AssumedRoleId", "AROAEXAMPLE:" + form.GetValueOrDefault("RoleSessionName"))),
                new XElement(ns + "Credentials",
                    new XElement(ns + "SessionToken", session),
                    new XElement(ns + "SecretAccessKey", secret),
                    new XElement(ns + "Expiration", DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                    new XElement(ns + "AccessKeyId", accessKey)),
                new XElement(ns + "Provider", "arn:aws:iam::123456789012:oidc-provider/oidc.eks.example")),
            new XElement(ns + "ResponseMetadata", new XElement(ns + "RequestId", Guid.NewGuid())));
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(document.ToString(), context.RequestAborted);
    }

    private static async Task StsError(HttpContext context, int status, string code, string message)
    {
        XNamespace ns = "https://sts.amazonaws.com/doc/2011-06-15/";
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(new XElement(ns + "ErrorResponse",
            new XElement(ns + "Error", new XElement(ns + "Type", "Sender"), new XElement(ns + "Code", code), new XElement(ns + "Message", message)),
            new XElement(ns + "RequestId", Guid.NewGuid())).ToString());
    }

    private static JsonObject Err(string code, string message) => new() { ["__type"] = code, ["message"] = message };

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        return context.Response.WriteAsync(Err(code, message).ToJsonString());
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private sealed record Secret(string Name, Dictionary<string, string> Tags)
    {
        public List<Version> Versions { get; } = [];
    }

    private sealed record Version(string Id, string Value, HashSet<string> Stages);
}
