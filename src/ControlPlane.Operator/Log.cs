namespace ControlPlane.Operator;

/// <summary>Every log message of the operator, source-generated, with stable event ids. Never pass a secret here.</summary>
/// <remarks>Ids 10-15, 20-24, 30-32 and 150 belong to the controller runtime's messages (ControlPlane.Runtime's Log): not reused here.</remarks>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Operator listening on port {Port} (probes, metrics) and {ResolverPort} (resolver, {Scheme}); catalog {Catalog}")]
    public static partial void Starting(ILogger logger, int port, int resolverPort, string scheme, string catalog);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Tenant {Slug}: database converged ({Steps})")]
    public static partial void DatabaseConverged(ILogger logger, string slug, string steps);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Tenant {Slug} blocked: {Reason}: {Message}")]
    public static partial void Blocked(ILogger logger, string slug, string reason, string message);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Tenant {Slug}: the catalog could not record failure {Reason}; shown in status and as an Event only")]
    public static partial void FailureNotRecorded(ILogger logger, Exception error, string slug, string reason);

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

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "Catalog health: {Failing} of {Checks} checks fail ({Summary})")]
    public static partial void CatalogUnhealthy(ILogger logger, int failing, int checks, string summary);

    // Event partitions (issue 18): 140-149.
    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "Event partitions created ahead: {Partitions}")]
    public static partial void EventPartitionsCreated(ILogger logger, string partitions);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "Event partition {Partition} detached by the retention of {Months} months; dropped after {Grace}")]
    public static partial void EventPartitionDetached(ILogger logger, string partition, int months, TimeSpan grace);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "Event partition {Partition} dropped (detached longer than {Grace})")]
    public static partial void EventPartitionDropped(ILogger logger, string partition, TimeSpan grace);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "Event partition maintenance failed ({SqlState}: {Message}); retrying in {Period}")]
    public static partial void EventPartitionMaintenanceFailed(ILogger logger, string sqlState, string message, TimeSpan period);
    // Per-server operation limits (120-129).
    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "Tenant {Slug} waits for database server {Server}: {InFlight} of {Limit} operations running, place {Place} in line")]
    public static partial void ServerBusy(ILogger logger, string slug, string server, int inFlight, int limit, int place);

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

    // 100-119: the fleet of tenant database servers and placement (issue 17).
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Tenant {Slug} placed on database server {Server}")]
    public static partial void Placed(ILogger logger, string slug, string server);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Tenant {Slug} is pending: {Message}")]
    public static partial void NoServerAvailable(ILogger logger, string slug, string message);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Database server {Server} registered ({Host}:{Port})")]
    public static partial void ServerRegistered(ILogger logger, string server, string host, int port);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Database server {Server} removed; no live tenant was placed on it")]
    public static partial void ServerRemoved(ILogger logger, string server);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Database server {Server} not ready: {Reason}: {Message}")]
    public static partial void ServerNotReady(ILogger logger, string server, string reason, string message);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Deletion of database server {Server} waits: {Tenants} live tenants are placed on it")]
    public static partial void ServerDeletionBlocked(ILogger logger, string server, int tenants);

    // 130-139: the estate audit (issue 17).
    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Estate audit: {Kind} {Subject} (tenant {TenantId}): {Detail} Suggested: {Action}")]
    public static partial void AuditFound(ILogger logger, string kind, string subject, Guid? tenantId, string detail, string action);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "Estate audit: {Kind} {Subject} (tenant {TenantId}): {Detail}")]
    public static partial void AuditNotice(ILogger logger, string kind, string subject, Guid? tenantId, string detail);

    [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "Estate audit done: {Problems} problem(s), {Notices} notice(s) confirmed, {New} new; {LiveRows} live and {DeletedRows} deleted rows, {Servers} server(s), {Tenants} Tenants compared")]
    public static partial void AuditDone(ILogger logger, int problems, int notices, int @new, int liveRows, int deletedRows, int servers, int tenants);

    [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "Estate audit failed; the next comes a period later")]
    public static partial void AuditFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 134, Level = LogLevel.Information, Message = "Estate audit no longer finds {Kind} {Subject}")]
    public static partial void AuditResolved(ILogger logger, string kind, string subject);

    [LoggerMessage(EventId = 135, Level = LogLevel.Information, Message = "Estate audit could not check everything: {NotChecked}")]
    public static partial void AuditNotChecked(ILogger logger, string notChecked);

    // 180-189: the bulk resync's catalog snapshot (issue 18, ADR-CP-011).
    [LoggerMessage(EventId = 180, Level = LogLevel.Debug, Message = "Catalog snapshot loaded: {Rows} live rows in {Pages} statement(s), {Milliseconds} ms")]
    public static partial void SnapshotLoaded(ILogger logger, int rows, int pages, long milliseconds);

    [LoggerMessage(EventId = 181, Level = LogLevel.Warning, Message = "Catalog snapshot could not be read after {Pages} statement(s); reconciles read their rows one by one until the next attempt")]
    public static partial void SnapshotLoadFailed(ILogger logger, Exception error, int pages);

    [LoggerMessage(EventId = 182, Level = LogLevel.Information, Message = "Catalog row of tenant {Slug} ({TenantId}) changed since the snapshot; the reconcile starts over on the current row before it acts")]
    public static partial void SnapshotRowChanged(ILogger logger, string slug, Guid tenantId);
}
