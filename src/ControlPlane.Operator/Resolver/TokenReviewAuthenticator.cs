using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Validates a bearer token with the cluster's TokenReview API (authentication.k8s.io/v1), bound to
/// <see cref="ConnectionEndpointOptions.Audience"/>: the review asks for that audience and the answer must name it, so a
/// token minted for the API server (or any other audience) is refused even if it reaches this endpoint.
/// <list type="bullet">
/// <item>Answers are cached by the token's SHA-256 (the token itself is never kept): successes for
/// <see cref="ConnectionEndpointOptions.TokenReviewCacheDuration"/>, failures for
/// <see cref="ConnectionEndpointOptions.FailedReviewCacheDuration"/>, so repeating a bad token costs the API server nothing.</item>
/// <item>Reviews go through their own client (<paramref name="reviews"/>, never the informers' or the lease's) and at most
/// <see cref="ConnectionEndpointOptions.TokenReviewConcurrency"/> run at once; a request that cannot get a slot at once is
/// answered as "authentication unavailable" rather than queued, so no load on the resolver builds up behind the API server.</item>
/// </list>
/// </summary>
internal sealed class TokenReviewAuthenticator(TokenReviewClient reviews, ConnectionEndpointOptions options, TimeProvider time)
{
    /// <summary>Bounds the cache whatever callers send; expired entries go first, and a full cache of live ones is cleared.</summary>
    private const int MaxCachedReviews = 10_000;

    private readonly ConcurrentDictionary<string, (string? User, DateTimeOffset Until)> _reviewed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(options.TokenReviewConcurrency, options.TokenReviewConcurrency);

    /// <summary>A cached answer for the token, if one is live: true with the user (null = refused) without any review.</summary>
    public bool TryCached(string token, out string? user)
    {
        if (_reviewed.TryGetValue(Key(token), out var known) && time.GetUtcNow() < known.Until)
        {
            user = known.User;
            return true;
        }

        user = null;
        return false;
    }

    /// <summary>The authenticated user name (e.g. <c>system:serviceaccount:billing:api</c>), or null when the token is not valid for the audience.</summary>
    /// <exception cref="TokenReviewUnavailableException">The API server could not be asked, or every review slot is busy.</exception>
    public async Task<string?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var key = Key(token);
        var now = time.GetUtcNow();
        if (_reviewed.TryGetValue(key, out var known) && now < known.Until)
        {
            return known.User;
        }

        if (!await _slots.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            throw new TokenReviewUnavailableException($"all {options.TokenReviewConcurrency} TokenReview slots are busy", null);
        }

        V1TokenReview review;
        try
        {
            review = await reviews.Kubernetes.AuthenticationV1.CreateTokenReviewAsync(
                new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [options.Audience] } }, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new TokenReviewUnavailableException(e is HttpOperationException http ? $"TokenReview answered {(int)http.Response.StatusCode}" : e.Message, e);
        }
        finally
        {
            _slots.Release();
        }

        var user = Accepted(review, options.Audience);
        Remember(key, user, now + (user is null ? options.FailedReviewCacheDuration : options.TokenReviewCacheDuration), now);
        return user;
    }

    /// <summary>
    /// The user of a review that authenticated the token for <paramref name="audience"/>, else null. An answer without the
    /// audience is refused even when authenticated: an API server that ignored the requested audiences (or a legacy token
    /// without any) must not turn an API-server token into a resolver credential.
    /// </summary>
    internal static string? Accepted(V1TokenReview review, string audience) =>
        review.Status is { Authenticated: true, User.Username: { Length: > 0 } user, Audiences: { } audiences }
        && audiences.Contains(audience, StringComparer.Ordinal)
            ? user
            : null;

    private static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private void Remember(string key, string? user, DateTimeOffset until, DateTimeOffset now)
    {
        if (until <= now)
        {
            _reviewed.TryRemove(key, out _);
            return;
        }

        if (_reviewed.Count >= MaxCachedReviews)
        {
            foreach (var (stale, _) in _reviewed.Where(p => p.Value.Until <= now))
            {
                _reviewed.TryRemove(stale, out _);
            }

            if (_reviewed.Count >= MaxCachedReviews)
            {
                // Every entry is live: a flood of distinct tokens. Forgetting costs reviews, which the limits bound.
                _reviewed.Clear();
            }
        }

        _reviewed[key] = (user, until);
    }
}

/// <summary>
/// The Kubernetes client TokenReviews use: its own instance (own connection pool), so a burst of reviews can never delay
/// the informers' watches or the leader lease renewals that share the operator's main client.
/// </summary>
internal sealed class TokenReviewClient(IKubernetes kubernetes)
{
    public IKubernetes Kubernetes { get; } = kubernetes;
}

/// <summary>The API server could not review a token (unreachable, 5xx, no <c>create</c> on tokenreviews) or every review slot was busy.</summary>
internal sealed class TokenReviewUnavailableException(string message, Exception? innerException) : Exception(message, innerException);
