using ControlPlane.Core.Secrets;
using ControlPlane.Core.Wire;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.TenantDatabases;
using Npgsql;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// Rotates a tenant database server's admin password (issue 16) without ever leaving the admin with a verifier that no
/// stored password matches. Four steps, each safe to repeat: (1) the new password is stored at the pending entry, marked
/// with the rotation's name (a retry gets the same value back); (2) the admin role gets its verifier, over a session that
/// holds the server's rotation lock; (3) the current entry is promoted to it, with the same mark; (4) the pending entry
/// is removed. Every call first converges what an interrupted call left: it proves by logging in which stored password
/// the role accepts (current, else pending) and finishes from there, so a crash after any step ends in exactly one
/// rotation. Open sessions keep running (PostgreSQL checks a password only at login); the pool's next physical
/// connection reads the promoted password.
/// </summary>
public sealed class AdminPasswordRotator(ISecretStore secrets, IProvisioningFaults faults, TimeProvider time, ILogger<AdminPasswordRotator> logger, OperatorMetrics? metrics = null)
{
    /// <summary>
    /// Converges an interrupted rotation, then rotates when <paramref name="onDemand"/> asks for it or the
    /// server's schedule is due. Failures come back as an outcome with a named reason; a crash (cancellation, a fault)
    /// is thrown and the next call converges.
    /// </summary>
    public async Task<AdminPasswordOutcome> RotateAsync(TenantDatabaseServer server, bool onDemand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.AdminSecret is not { } current)
        {
            return Failed(server, AdminPasswordFailure.NotRotatable, "the server's admin has no stored password (the embedded dev server's trusted superuser).");
        }

        if (!AdminPasswordRules.CanRotate(current))
        {
            return Failed(server, AdminPasswordFailure.NotRotatable, $"{current} is read-only (the env backend); keep the admin password in a backend the operator can write.");
        }

        try
        {
            return await ConvergeAsync(server, current, AdminPasswordRules.PendingOf(current), onDemand, cancellationToken);
        }
        catch (SecretStoreException e)
        {
            return Failed(server, e is SecretOwnershipException or SecretAccessDeniedException or SecretBackendNotEnabledException
                ? AdminPasswordFailure.SecretNotWritable
                : AdminPasswordFailure.SecretStoreFailed, e.Message);
        }
        catch (NpgsqlException e)
        {
            return Failed(server, AdminPasswordFailure.ServerUnavailable, e.Message);
        }
    }

    private async Task<AdminPasswordOutcome> ConvergeAsync(
        TenantDatabaseServer server, SecretReference current, SecretReference pendingRef, bool onDemand, CancellationToken cancellationToken)
    {
        // A look that finds nothing to do costs two secret reads and no login.
        var stored = await secrets.ReadMarkedAsync(current, cancellationToken);
        var pending = await ReadPendingAsync(pendingRef, cancellationToken);
        var plan = AdminPasswordRules.Plan(server.AdminPasswordRotateEvery, stored.Rotation, time.GetUtcNow());
        if (pending is null && !onDemand && !plan.Due)
        {
            Log.AdminPasswordRotationNotDue(logger, server.Name, plan.NextDue);
            return new AdminPasswordOutcome(server.Name, AdminPasswordResult.NotDue, NextDue: plan.NextDue);
        }

        var settings = server.AdminConnectionSettings();
        await using var session = await OpenAsync(settings, current, pendingRef, stored, pending, cancellationToken);
        if (session is null)
        {
            return Rejected(server, current);
        }

        if (!await session.TryLockAsync(cancellationToken))
        {
            Log.AdminPasswordRotationBusy(logger, server.Name);
            metrics?.AdminPasswordRotation(server.Name, AdminPasswordResult.Busy.ToWire());
            return new AdminPasswordOutcome(server.Name, AdminPasswordResult.Busy);
        }

        // Under the lock nobody else changes the role's password, but someone may have finished a rotation between our
        // read and our lock: read again, and prove by logging in which stored password the role accepts.
        stored = await secrets.ReadMarkedAsync(current, cancellationToken);
        pending = await ReadPendingAsync(pendingRef, cancellationToken);
        var at = time.GetUtcNow();
        plan = AdminPasswordRules.Plan(server.AdminPasswordRotateEvery, stored.Rotation, at);
        var currentLive = await AdminPasswordSession.AcceptsAsync(settings, stored.Value.Reveal(), cancellationToken);
        if (!currentLive && (pending is null || !await AdminPasswordSession.AcceptsAsync(settings, pending.Value.Reveal(), cancellationToken)))
        {
            return Rejected(server, current);
        }

        var resumed = pending is not null;
        if (pending is null)
        {
            if (!onDemand && !plan.Due)
            {
                return new AdminPasswordOutcome(server.Name, AdminPasswordResult.NotDue, NextDue: plan.NextDue);
            }

            var rotation = AdminPasswordRules.NewRotation(at);
            pending = new MarkedSecretValue(await secrets.EnsureRotatedPasswordAsync(pendingRef, rotation, Owner(server), cancellationToken), rotation);
            await faults.AfterAsync(ProvisioningSteps.AdminPasswordPendingWritten, cancellationToken);
        }

        // Only a pending entry this code wrote (it carries a rotation's mark) is ever applied to the role.
        if (pending.Rotation is not { } name || AdminPasswordRules.RotatedAt(name) is null)
        {
            return Failed(server, AdminPasswordFailure.SecretInconsistent,
                $"{pendingRef} holds a value without an admin rotation's mark; the operator applies only passwords it generated. Remove that key.");
        }

        if (!pending.Value.Equals(stored.Value))
        {
            if (currentLive)
            {
                await session.SetOwnPasswordAsync(ScramVerifier.Compute(pending.Value.Reveal()), cancellationToken);
                await faults.AfterAsync(ProvisioningSteps.AdminPasswordRoleChanged, cancellationToken);
            }

            var promoted = await secrets.StoreRotatedPasswordAsync(current, pending.Value, name, Owner(server), cancellationToken);
            if (!promoted.Equals(pending.Value))
            {
                // The current entry claims this rotation with another value: keep the pending entry (the role's password).
                return Failed(server, AdminPasswordFailure.SecretInconsistent,
                    $"{current} already carries rotation {name} with another value; the pending entry {pendingRef} is kept, as the role accepts it.");
            }

            await faults.AfterAsync(ProvisioningSteps.AdminPasswordPromoted, cancellationToken);
        }

        await secrets.DeleteAsync(pendingRef, cancellationToken);
        await faults.AfterAsync(ProvisioningSteps.AdminPasswordPendingRemoved, cancellationToken);

        // The pool's idle connections logged in with the old password: retire them and log in through the pool, which
        // proves that it reads the promoted password (a failure here is reported, with the rotation itself complete).
        server.RetireIdleConnections();
        await server.Administrator.CheckReachableAsync(cancellationToken);
        var scheduled = !onDemand && !resumed;
        Log.AdminPasswordRotated(logger, server.Name, name, scheduled, resumed);
        metrics?.AdminPasswordRotation(server.Name, AdminPasswordResult.Rotated.ToWire());
        var next = server.AdminPasswordRotateEvery is { } every ? AdminPasswordRules.RotatedAt(name) + every : null;
        return new AdminPasswordOutcome(server.Name, AdminPasswordResult.Rotated, name, next, Resumed: resumed);
    }

    /// <summary>
    /// A session logged in with the current password, else the pending one; null when the server takes neither. Another
    /// process's rotation may change the role between our read and our login, so a refusal reads the entries again
    /// (a few times) before it counts.
    /// </summary>
    private async Task<AdminPasswordSession?> OpenAsync(
        NpgsqlConnectionStringBuilder settings, SecretReference current, SecretReference pendingRef, MarkedSecretValue stored, MarkedSecretValue? pending,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var session = await AdminPasswordSession.TryOpenAsync(settings, stored.Value.Reveal(), cancellationToken)
                          ?? (pending is null ? null : await AdminPasswordSession.TryOpenAsync(settings, pending.Value.Reveal(), cancellationToken));
            if (session is not null || attempt == 3)
            {
                return session;
            }

            // A pause for the other process's rotation to move on: real time, also under a test's fake clock.
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            stored = await secrets.ReadMarkedAsync(current, cancellationToken);
            pending = await ReadPendingAsync(pendingRef, cancellationToken);
        }
    }

    private async Task<MarkedSecretValue?> ReadPendingAsync(SecretReference pending, CancellationToken cancellationToken)
    {
        try
        {
            return await secrets.ReadMarkedAsync(pending, cancellationToken);
        }
        catch (SecretNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Only used if a backend must create the secret (it never does: the current entry exists); a label value.</summary>
    private static SecretOwner Owner(TenantDatabaseServer server) => new($"server-{server.Name}");

    private AdminPasswordOutcome Rejected(TenantDatabaseServer server, SecretReference current) =>
        Failed(server, AdminPasswordFailure.PasswordRejected,
            $"the server refuses the admin password stored at {current} (and the pending one, if any): it was changed outside the operator. " +
            "Store the role's password there again; nothing was changed.");

    private AdminPasswordOutcome Failed(TenantDatabaseServer server, AdminPasswordFailure reason, string message)
    {
        Log.AdminPasswordRotationFailed(logger, server.Name, reason.ToWire(), message);
        metrics?.AdminPasswordRotation(server.Name, AdminPasswordResult.Failed.ToWire());
        return new AdminPasswordOutcome(server.Name, AdminPasswordResult.Failed, Reason: reason, Message: message);
    }
}

/// <summary>What one call of <see cref="AdminPasswordRotator.RotateAsync"/> did. Never holds a password.</summary>
public sealed record AdminPasswordOutcome(
    string Server, AdminPasswordResult Result, string? Rotation = null, DateTimeOffset? NextDue = null, bool Resumed = false,
    AdminPasswordFailure? Reason = null, string? Message = null);

/// <summary>What a rotation did: the outcome's <see cref="AdminPasswordOutcome.Result"/>, the metric's <c>result</c> label and <c>rotate-admin-password</c>'s output.</summary>
public enum AdminPasswordResult
{
    /// <summary>The password was rotated (or an interrupted rotation completed).</summary>
    Rotated,

    /// <summary>Nothing to do: no rotation was asked for and the schedule is not due.</summary>
    NotDue,

    /// <summary>Another process holds the server's rotation lock; try again shortly.</summary>
    Busy,

    /// <summary>The rotation failed; the outcome's <see cref="AdminPasswordOutcome.Reason"/> says why.</summary>
    Failed,
}

/// <summary>
/// The wire value of each <see cref="AdminPasswordResult"/> (lower-case, hyphenated), and back.
/// As for every reason type (<see cref="Api.V1Alpha1.TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below,
/// is the only way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class AdminPasswordResults
{
    public static string ToWire(this AdminPasswordResult result) => result switch
    {
        AdminPasswordResult.Rotated => "rotated",
        AdminPasswordResult.NotDue => "not-due",
        AdminPasswordResult.Busy => "busy",
        AdminPasswordResult.Failed => "failed",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out AdminPasswordResult result) => WireValues.TryParse(wire, ToWire, out result);
}

/// <summary>Why a rotation failed: every failure has a name (logs, <c>rotate-admin-password</c>'s output and exit code).</summary>
public enum AdminPasswordFailure
{
    /// <summary>No stored password, or a read-only backend (env).</summary>
    NotRotatable,

    /// <summary>The server accepts neither the current nor the pending password: changed outside the operator. Nothing was changed.</summary>
    PasswordRejected,

    /// <summary>The secret may not be written: not marked as the operator's, access denied, backend not enabled. Nothing was changed.</summary>
    SecretNotWritable,

    /// <summary>The secret store failed (unavailable, throttled, contended); the next attempt converges.</summary>
    SecretStoreFailed,

    /// <summary>The tenant database server could not be reached or answered an error; the next attempt converges.</summary>
    ServerUnavailable,

    /// <summary>The stored entries contradict each other; a human must look (the message says what to do).</summary>
    SecretInconsistent,
}

/// <summary>
/// The wire value of each <see cref="AdminPasswordFailure"/> (not always its name), and back.
/// As for every reason type (<see cref="Api.V1Alpha1.TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below,
/// is the only way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class AdminPasswordFailures
{
    public static string ToWire(this AdminPasswordFailure failure) => failure switch
    {
        AdminPasswordFailure.NotRotatable => "AdminSecretNotRotatable",
        AdminPasswordFailure.PasswordRejected => "AdminPasswordRejected",
        AdminPasswordFailure.SecretNotWritable => "AdminSecretNotWritable",
        AdminPasswordFailure.SecretStoreFailed => "SecretStoreFailed",
        AdminPasswordFailure.ServerUnavailable => "ServerUnavailable",
        AdminPasswordFailure.SecretInconsistent => "AdminSecretInconsistent",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out AdminPasswordFailure failure) => WireValues.TryParse(wire, ToWire, out failure);
}
