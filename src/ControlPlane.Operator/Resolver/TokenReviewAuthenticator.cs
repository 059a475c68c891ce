using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Validates a bearer token with the cluster's TokenReview API (authentication.k8s.io/v1). Positive answers are
/// reused for <see cref="ConnectionEndpointOptions.TokenReviewCacheDuration"/>, keyed by the token's SHA-256 so the
/// token itself is never kept; negative answers are not cached (a token may become valid, and nothing is saved by
/// remembering garbage).
/// </summary>
internal sealed class TokenReviewAuthenticator(IKubernetes kubernetes, ConnectionEndpointOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string User, DateTimeOffset Until)> _reviewed = new(StringComparer.Ordinal);

    /// <summary>The authenticated user name (e.g. <c>system:serviceaccount:billing:api</c>), or null when the token is not valid.</summary>
    /// <exception cref="TokenReviewUnavailableException">The API server could not be asked.</exception>
    public async Task<string?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = time.GetUtcNow();
        if (_reviewed.TryGetValue(key, out var known) && now < known.Until)
        {
            return known.User;
        }

        V1TokenReview review;
        try
        {
            review = await kubernetes.AuthenticationV1.CreateTokenReviewAsync(
                new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } }, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            throw new TokenReviewUnavailableException(e is HttpOperationException http ? $"TokenReview answered {(int)http.Response.StatusCode}" : e.Message, e);
        }

        if (review.Status is not { Authenticated: true, User.Username: { Length: > 0 } user })
        {
            _reviewed.TryRemove(key, out _);
            return null;
        }

        _reviewed[key] = (user, now + options.TokenReviewCacheDuration);
        if (_reviewed.Count > 10_000)
        {
            // Tokens rotate; drop expired reviews rather than grow without bound.
            foreach (var (stale, entry) in _reviewed.Where(p => p.Value.Until <= now))
            {
                _reviewed.TryRemove(stale, out _);
            }
        }

        return user;
    }
}

/// <summary>The API server could not review a token (unreachable, 5xx, or the operator lacks <c>create</c> on tokenreviews).</summary>
internal sealed class TokenReviewUnavailableException(string message, Exception innerException) : Exception(message, innerException);
