namespace ControlPlane.Operator;

/// <summary>Every log message of the operator, source-generated, with stable event ids. Never pass a secret here.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Operator listening on port {Port} (probes, metrics) and {ResolverPort} (resolver, {Scheme}); catalog {Catalog}")]
    public static partial void Starting(ILogger logger, int port, int resolverPort, string scheme, string catalog);

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

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Tenant {Slug}: database converged ({Steps})")]
    public static partial void DatabaseConverged(ILogger logger, string slug, string steps);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Tenant {Slug} blocked: {Reason}: {Message}")]
    public static partial void Blocked(ILogger logger, string slug, string reason, string message);

    // Failures and deletion's way out (issue 13): 60-61.
    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Tenant {Slug} failed, retrying before it is shown: {Reason}: {Message}")]
    public static partial void FailureRetried(ILogger logger, Exception? error, string slug, string reason, string message);

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "Tenant {Slug} deleted without full cleanup ({Annotation}): {Cause}; left: {Left}")]
    public static partial void CleanupSkipped(ILogger logger, string slug, string annotation, string cause, string left);

    // Ownership (ADR-CP-007): 44-46, beside the tenant lifecycle's 40-43.
    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "Tenant {Slug}: status re-adopted from the catalog row {TenantId} recorded for this object")]
    public static partial void Readopted(ILogger logger, string slug, Guid tenantId);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "Tenant {Slug} deleted; left on the server because not provably its own: {Objects}")]
    public static partial void LeftNotOwned(ILogger logger, string slug, string objects);

    // Drift repair (60-64): the periodic resync of healthy tenants (issue 13, item 6).
    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Tenant {Slug}: drift repaired ({What})")]
    public static partial void DriftRepaired(ILogger logger, string slug, string what);

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning, Message = "Tenant {Slug}: schema not observed, its login was refused ({SqlState}: {Detail}); nothing repaired")]
    public static partial void SchemaUnobservable(ILogger logger, string slug, string sqlState, string detail);

    [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "Tenant {Slug}: its database's changelog is at schema version {Observed}, ahead of the catalog's {Recorded}; left as it is")]
    public static partial void SchemaAhead(ILogger logger, string slug, string observed, string recorded);

    // Schema rollouts (50-59).
    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "SchemaRollout {Namespace}/{Name}: {From} -> {To}")]
    public static partial void RolloutPhase(ILogger logger, string @namespace, string name, string from, string to);

    [LoggerMessage(EventId = 51, Level = LogLevel.Debug, Message = "Tenant {Namespace}/{Name}: spec.schemaVersion set to {Version} by a rollout")]
    public static partial void RolloutTenantTargeted(ILogger logger, string @namespace, string name, string version);

    // The request's name only: the password never reaches a log message.
    [LoggerMessage(EventId = 75, Level = LogLevel.Information, Message = "Tenant {Slug}: password rotated for {Rotation} (scheduled: {Scheduled})")]
    public static partial void CredentialsRotated(ILogger logger, string slug, string rotation, bool scheduled);

    // Admin password rotation of tenant database servers (90-99). Never a password, a verifier or a pending value.
    [LoggerMessage(EventId = 90, Level = LogLevel.Information, Message = "Tenant database server {Server}: admin password rotated ({Rotation}, scheduled: {Scheduled}, completed after an interruption: {Resumed}); new logins need the new password, open sessions keep running")]
    public static partial void AdminPasswordRotated(ILogger logger, string server, string rotation, bool scheduled, bool resumed);

    [LoggerMessage(EventId = 91, Level = LogLevel.Warning, Message = "Tenant database server {Server}: admin password rotation failed: {Reason}: {Message}")]
    public static partial void AdminPasswordRotationFailed(ILogger logger, string server, string reason, string message);

    [LoggerMessage(EventId = 92, Level = LogLevel.Information, Message = "Tenant database server {Server}: another process holds the admin password rotation lock; looking again later")]
    public static partial void AdminPasswordRotationBusy(ILogger logger, string server);

    [LoggerMessage(EventId = 93, Level = LogLevel.Debug, Message = "Tenant database server {Server}: admin password rotation not due; next at {NextDue}")]
    public static partial void AdminPasswordRotationNotDue(ILogger logger, string server, DateTimeOffset? nextDue);

    [LoggerMessage(EventId = 94, Level = LogLevel.Error, Message = "Tenant database server {Server}: the admin password check failed outside a rotation step; retrying at the next look")]
    public static partial void AdminPasswordScheduleFailed(ILogger logger, Exception error, string server);

    private static readonly Func<ILogger, string, string, long, IDisposable?> ReconcileScopeFormatter =
        LoggerMessage.DefineScope<string, string, long>("Reconcile {Namespace}/{Name} generation {Generation}");

    /// <summary>The scope of one reconcile: every log line inside carries namespace, name and generation.</summary>
    public static IDisposable? ReconcileScope(ILogger logger, string @namespace, string name, long generation) =>
        ReconcileScopeFormatter(logger, @namespace, name, generation);

    // Tenant connection endpoint (800-899): callers by service-account name, never a token or a password.
    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "Connection request to {Path} from {Remote} refused: not authenticated ({Reason})")]
    public static partial void CallerUnauthenticated(ILogger logger, string path, string remote, string reason);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Connection request to {Path} by {Caller} refused: not on the allow-list")]
    public static partial void CallerForbidden(ILogger logger, string path, string caller);

    [LoggerMessage(EventId = 802, Level = LogLevel.Information, Message = "Tenant {Slug} resolved for {Caller}: {Outcome}")]
    public static partial void Resolved(ILogger logger, string caller, string slug, string outcome);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "Tenant {Slug} could not be resolved for {Caller}: {Failure} failed (transient {Transient})")]
    public static partial void ResolveUnavailable(ILogger logger, string caller, string slug, string failure, bool transient);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Caller {Caller} rate-limited on {Path}")]
    public static partial void CallerRateLimited(ILogger logger, string caller, string path);

    [LoggerMessage(EventId = 805, Level = LogLevel.Error, Message = "TokenReview for a request to {Path} failed: {Reason}")]
    public static partial void TokenReviewFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 806, Level = LogLevel.Warning, Message = "Unauthenticated requests from {Remote} to {Path} rate-limited")]
    public static partial void AddressRateLimited(ILogger logger, string remote, string path);

    [LoggerMessage(EventId = 807, Level = LogLevel.Information, Message = "Tenant {Slug} is outside the grant of {Caller}; answered as unknown")]
    public static partial void OutsideGrant(ILogger logger, string caller, string slug);

    [LoggerMessage(EventId = 810, Level = LogLevel.Information, Message = "Resolver TLS certificate loaded: {Subject} ({Thumbprint}), valid until {NotAfter:O}")]
    public static partial void ResolverCertificateLoaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 811, Level = LogLevel.Warning, Message = "Resolver TLS certificate not reloaded, still serving the previous one: {Reason}")]
    public static partial void ResolverCertificateNotReloaded(ILogger logger, string reason);

    [LoggerMessage(EventId = 812, Level = LogLevel.Warning, Message = "Resolver listening on port {Port} WITHOUT TLS (ENVIRONMENT=dev only)")]
    public static partial void ResolverWithoutTls(ILogger logger, int port);
}
