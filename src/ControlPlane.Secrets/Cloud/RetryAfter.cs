using System.Net.Http.Headers;

namespace ControlPlane.Secrets.Cloud;

/// <summary>How long to wait before retrying a throttled cloud request: the server's Retry-After when it sends one.</summary>
internal static class RetryAfter
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    public static TimeSpan Delay(RetryConditionHeaderValue? header, TimeProvider time, int attempt, TimeSpan baseDelay)
    {
        ArgumentNullException.ThrowIfNull(time);
        var wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => baseDelay * Math.Pow(2, attempt - 1),
        };
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Cap ? Cap : wait;
    }
}
