using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;service-account token&gt;</c> through <see cref="TokenReviewAuthenticator"/>
/// and answers 401 and 403 as problem+json. Attempts are logged by caller and path, never with the token.
/// </summary>
internal sealed class ServiceAccountAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TokenReviewAuthenticator authenticator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "KubernetesServiceAccount";

    private const string Bearer = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
        {
            return AuthenticateResult.NoResult();
        }

        string? user;
        try
        {
            user = await authenticator.AuthenticateAsync(header[Bearer.Length..].Trim(), Context.RequestAborted);
        }
        catch (TokenReviewUnavailableException e)
        {
            Log.TokenReviewFailed(Logger, Request.Path, e.Message);
            return AuthenticateResult.Fail(e);
        }

        if (user is null)
        {
            return AuthenticateResult.Fail("The token is not valid.");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is TokenReviewUnavailableException)
        {
            // Not the caller's fault: say so, and let it retry rather than discard a good token.
            ConnectionProblems.RetryAfter(Context, TimeSpan.FromSeconds(5));
            await ConnectionProblems.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, "token-review-unavailable",
                "Authentication unavailable", "The Kubernetes API server could not review the token; retry later.");
            return;
        }

        var reason = result.Failure?.Message ?? "No bearer token was presented.";
        Log.CallerUnauthenticated(Logger, Request.Path, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);
        Response.Headers.WWWAuthenticate = "Bearer";
        await ConnectionProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required",
            reason + " Present a Kubernetes service account token as 'Authorization: Bearer <token>'.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Log.CallerForbidden(Logger, Request.Path, Context.User.Identity?.Name ?? "unknown");
        await ConnectionProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "Caller not allowed",
            "This service account is not on the resolver's allow-list (RESOLVER_ALLOWED_SERVICE_ACCOUNTS).");
    }
}
