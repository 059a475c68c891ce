using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// Every log message of the controller runtime, source-generated. The event ids are the ones these messages had while
/// the runtime lived in the operator (10-32, 150): alerts and log queries keep matching. Never pass a secret here.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Listed {Kind} in {Scope}: {Count} present, {Vanished} vanished; watching from {ResourceVersion}")]
    public static partial void Relisted(ILogger logger, string kind, string scope, int count, int vanished, string resourceVersion);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Watch of {Kind} in {Scope} closed; re-watching from {ResourceVersion}")]
    public static partial void WatchClosed(ILogger logger, string kind, string scope, string? resourceVersion);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Watch of {Kind} in {Scope} expired ({Detail}); relisting")]
    public static partial void WatchExpired(ILogger logger, string kind, string scope, string detail);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Watch of {Kind} in {Scope} failed; retrying in {Delay}")]
    public static partial void WatchFailed(ILogger logger, Exception? error, string kind, string scope, TimeSpan delay);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Watches of {Kind} in {Scope} have failed for {Elapsed}; relisting")]
    public static partial void WatchRelistAfterFailures(ILogger logger, string kind, string scope, TimeSpan elapsed);

    [LoggerMessage(EventId = 15, Level = LogLevel.Error, Message = "Informer of {Kind} in {Scope} failed outside the watch; restarting it")]
    public static partial void InformerFailed(ILogger logger, Exception error, string kind, string scope);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Reconcile of {Key} failed ({Message}); failure {Failures}, retrying in {Delay}")]
    public static partial void ReconcileFailed(ILogger logger, Exception? error, string key, string message, int failures, TimeSpan delay);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Reconcile of {Key} refused: {Reason}: {Message}; waiting for a spec change")]
    public static partial void ReconcileRefused(ILogger logger, string key, string reason, string message);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Could not record event {Reason} on {Key}")]
    public static partial void EventNotRecorded(ILogger logger, Exception error, string reason, string key);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Worker failed outside the reconcile of {Key}; the key is retried")]
    public static partial void WorkerFailed(ILogger logger, Exception error, string key);

    [LoggerMessage(EventId = 24, Level = LogLevel.Critical, Message = "A {Kind} worker died; /healthz now fails")]
    public static partial void WorkerDied(ILogger logger, Exception error, string kind);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "{Identity} became leader (lease {LeaseNamespace}/{LeaseName}); reconciling")]
    public static partial void LeadershipAcquired(ILogger logger, string identity, string leaseNamespace, string leaseName);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "{Identity} lost leadership; reconciling stopped")]
    public static partial void LeadershipLost(ILogger logger, string identity);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Leader election error")]
    public static partial void LeaderElectionError(ILogger logger, Exception error);

    // Periodic leader jobs and catalog health (issue 18): 150-159.
    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "Periodic job {Job} failed; next run in {Period}")]
    public static partial void PeriodicJobFailed(ILogger logger, Exception error, string job, TimeSpan period);

    private static readonly Func<ILogger, string, string, long, IDisposable?> ReconcileScopeFormatter =
        LoggerMessage.DefineScope<string, string, long>("Reconcile {Namespace}/{Name} generation {Generation}");

    /// <summary>The scope of one reconcile: every log line inside carries namespace, name and generation.</summary>
    public static IDisposable? ReconcileScope(ILogger logger, string @namespace, string name, long generation) =>
        ReconcileScopeFormatter(logger, @namespace, name, generation);
}
