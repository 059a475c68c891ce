using Microsoft.Extensions.Logging;

namespace ControlPlane.Client;

/// <summary>
/// Every log message of the resolver, source-generated with stable event ids (4000-4099). Parameters are slugs,
/// statuses, secret references and reasons: a password, connection string or token is never one.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Listening for tenant changes on {Channel}; cache enabled")]
    public static partial void ListenerConnected(ILogger logger, string channel);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Tenant change listener lost ({Reason}); every resolve reads the catalog until it reconnects in {DelayMs} ms")]
    public static partial void ListenerLost(ILogger logger, string reason, long delayMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Tenant {Slug} changed ({Operation}); cached connection dropped")]
    public static partial void Invalidated(ILogger logger, string slug, string operation);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Unreadable tenant change notification; the whole cache was dropped")]
    public static partial void UnreadableNotification(ILogger logger);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Resolving tenant {Slug} failed: {Failure} ({Message})")]
    public static partial void ResolveFailed(ILogger logger, string slug, ResolutionFailure failure, string message);
}
