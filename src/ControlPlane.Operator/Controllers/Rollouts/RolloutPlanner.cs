using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>
/// The rollout state machine as one pure function of the rollout (spec and its recorded wave and failures) and the
/// selected Tenants. Waves: the canary (number 0: named tenants, then more in name order up to the count), then
/// batches in name order. No wave opens while a named canary is not among the selected Tenants: the Tenant cache can
/// lag the rollout's own watch, and a canary missed there must not turn into a rollout without canary or approval.
/// A wave closes when none of its members is pending or in flight; the next opens only then. At most maxParallel
/// members of the wave are in flight. More failures than maxFailures halt: nothing new starts.
/// </summary>
public static class RolloutPlanner
{
    public const int DefaultBatchPercent = 10;

    /// <summary>Longest failure message kept per tenant in status.</summary>
    public const int MaxMessageLength = 512;

    public static RolloutPlan Plan(SchemaRollout rollout, SchemaVersion target, IReadOnlyCollection<Tenant> selected, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(selected);
        var spec = rollout.Spec;
        var previous = rollout.Status;
        var generation = rollout.Metadata.Generation;
        var tenants = selected.OrderBy(t => t.Metadata.Name, StringComparer.Ordinal).ToList();

        var failures = RecordFailures(previous.FailedTenants, tenants, target);
        var failedNames = failures.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var states = tenants.ToDictionary(t => t.Metadata.Name, t => RolloutTenants.Classify(t, target, failedNames.Contains(t.Metadata.Name)), StringComparer.Ordinal);
        bool Open(string name) => states.TryGetValue(name, out var s) && s is RolloutTenantState.Pending or RolloutTenantState.InFlight;

        var failed = states.Values.Count(s => s == RolloutTenantState.Failed);
        var overBudget = failed > (spec.MaxFailures ?? 0);
        var paused = spec.Paused == true;
        var approved = previous.CanaryApproved == true;
        var wave = Copy(previous.CurrentWave);
        List<string> missingCanaries = wave is null && spec.Canary?.Names is { } names
            ? [.. names.Where(n => !states.ContainsKey(n)).Distinct(StringComparer.Ordinal)]
            : [];
        var awaitingApproval = false;
        var pauseSpec = false;
        var start = new List<string>();

        if (!overBudget && missingCanaries.Count == 0)
        {
            while (wave is null || !wave.Tenants.Any(Open))
            {
                if (wave is { Number: 0 } && spec.PauseAfterCanary == true && !approved)
                {
                    if (previous.PausedAtGeneration is null)
                    {
                        pauseSpec = true;
                        awaitingApproval = true;
                        break;
                    }

                    // Approved by the first spec change after the operator's pause that leaves paused false.
                    if (!paused && generation > previous.PausedAtGeneration)
                    {
                        approved = true;
                    }
                    else
                    {
                        awaitingApproval = true;
                        break;
                    }
                }

                var next = NextWave(wave, spec, tenants, states);
                if (next is null)
                {
                    break;
                }

                wave = next;
            }

            if (!paused && !awaitingApproval && wave is not null)
            {
                // Started members the Tenant cache does not yet show as moving (a lagging cache, or a crash between
                // recording the start and writing the Tenant) are handed the target again: the write is idempotent.
                start.AddRange(wave.Started.Where(n => states.GetValueOrDefault(n) == RolloutTenantState.Pending));
                var slots = Math.Max(spec.MaxParallel ?? 1, 1) - wave.Started.Count(Open);
                foreach (var name in wave.Tenants.Where(n => !wave.Started.Contains(n) && states.GetValueOrDefault(n) == RolloutTenantState.Pending).Take(Math.Max(slots, 0)).ToList())
                {
                    wave.Started.Add(name);
                    start.Add(name);
                }
            }
        }

        var byName = tenants.ToDictionary(t => t.Metadata.Name, StringComparer.Ordinal);
        var revert = failures
            .Where(f => byName.TryGetValue(f.Name, out var t) && states[f.Name] == RolloutTenantState.Failed && RolloutTenants.AsksFor(t, target))
            .Select(f => f.Name)
            .ToList();

        var anyOpen = states.Keys.Any(Open);
        var inFlight = states.Values.Count(s => s == RolloutTenantState.InFlight);
        var phase = overBudget ? SchemaRolloutPhase.Halted
            : !anyOpen ? SchemaRolloutPhase.Succeeded
            : awaitingApproval ? SchemaRolloutPhase.AwaitingApproval
            : paused ? SchemaRolloutPhase.Paused
            : wave is null ? SchemaRolloutPhase.Pending
            : wave.Number == 0 ? SchemaRolloutPhase.Canary
            : SchemaRolloutPhase.Rolling;

        var migrated = states.Values.Count(s => s == RolloutTenantState.Migrated);
        var total = states.Values.Count(s => s != RolloutTenantState.Skipped);
        var status = new SchemaRolloutStatus
        {
            Phase = phase.ToWire(),
            Total = total,
            Migrated = migrated,
            Failed = failed,
            Pending = total - migrated - failed,
            Skipped = states.Count - total,
            CurrentWave = wave,
            FailedTenants = failures.Count == 0 ? null : failures,
            CanaryApproved = approved ? true : null,
            PausedAtGeneration = previous.PausedAtGeneration,
            ObservedGeneration = generation,
        };
        status.Conditions = WithConditions(previous.Conditions, phase, status, target, spec.MaxFailures ?? 0, missingCanaries, generation, now);
        return new RolloutPlan(status, start, revert, pauseSpec)
        {
            Settled = phase == SchemaRolloutPhase.Succeeded || (phase == SchemaRolloutPhase.Halted && inFlight == 0 && revert.Count == 0),
        };
    }

    /// <summary>The tenants of wave <c>n + 1</c>, or null when no tenant is left pending.</summary>
    public static SchemaRolloutWave? NextWave(
        SchemaRolloutWave? current, SchemaRolloutSpec spec, IReadOnlyList<Tenant> tenants, IReadOnlyDictionary<string, RolloutTenantState> states)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tenants);
        ArgumentNullException.ThrowIfNull(states);
        var pending = tenants.Select(t => t.Metadata.Name).Where(n => states.GetValueOrDefault(n) == RolloutTenantState.Pending).ToList();
        if (pending.Count == 0)
        {
            return null;
        }

        if (current is null && spec.Canary is { } canary)
        {
            // Every named canary the rollout selects, wherever it stands: one already at the target is a canary that
            // has passed, and the pause for approval still follows it.
            var named = (canary.Names ?? [])
                .Where(n => states.TryGetValue(n, out var state) && state != RolloutTenantState.Skipped)
                .Distinct(StringComparer.Ordinal).ToList();
            var members = named.Concat(pending.Except(named).Take(Math.Max((canary.Count ?? 0) - named.Count, 0))).ToList();
            if (members.Count > 0)
            {
                return new SchemaRolloutWave { Number = 0, Tenants = members };
            }
        }

        var total = states.Values.Count(s => s != RolloutTenantState.Skipped);
        return new SchemaRolloutWave { Number = (current?.Number ?? 0) + 1, Tenants = [.. pending.Take(BatchSize(spec, total))] };
    }

    /// <summary>batchSize, else batchPercent (default 10%) of the selected tenants rounded up; at least one.</summary>
    public static int BatchSize(SchemaRolloutSpec spec, int total)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.BatchSize is { } size)
        {
            return Math.Max(size, 1);
        }

        var percent = Math.Clamp(spec.BatchPercent ?? DefaultBatchPercent, 1, 100);
        return Math.Max((int)Math.Ceiling(total * percent / 100.0), 1);
    }

    /// <summary>The recorded failures (kept: the rollout's memory) plus tenants the Tenant reconciler just reported failing.</summary>
    private static List<SchemaRolloutFailure> RecordFailures(IList<SchemaRolloutFailure>? recorded, List<Tenant> tenants, SchemaVersion target)
    {
        var failures = (recorded ?? []).Select(f => new SchemaRolloutFailure { Name = f.Name, Reason = f.Reason, Message = f.Message }).ToList();
        foreach (var tenant in tenants)
        {
            if (failures.Any(f => f.Name == tenant.Metadata.Name) || RolloutTenants.Failure(tenant, target) is not { } failure)
            {
                continue;
            }

            var message = failure.Message.Length > MaxMessageLength ? failure.Message[..MaxMessageLength] + "…" : failure.Message;
            failures.Add(new SchemaRolloutFailure { Name = tenant.Metadata.Name, Reason = failure.Reason.ToWire(), Message = message });
        }

        return failures;
    }

    private static List<k8s.Models.V1Condition> WithConditions(
        IList<k8s.Models.V1Condition>? existing, SchemaRolloutPhase phase, SchemaRolloutStatus status, SchemaVersion target, int budget,
        IReadOnlyList<string> missingCanaries, long? generation, DateTimeOffset now)
    {
        var (progressing, reason, message) = phase switch
        {
            SchemaRolloutPhase.Pending when missingCanaries.Count > 0 => (false, SchemaRolloutReason.CanaryNotFound,
                $"Waiting for canary tenant(s) {string.Join(", ", missingCanaries.Take(5))}{(missingCanaries.Count > 5 ? $" and {missingCanaries.Count - 5} more" : "")}: "
                + "not among the Tenants the selector matches in this namespace. Nothing starts until they are (create them, or fix spec.canary.names)."),
            SchemaRolloutPhase.Canary => (true, SchemaRolloutReason.Canary, $"Canary: {status.Migrated}/{status.Total} tenants at {target}."),
            SchemaRolloutPhase.Rolling => (true, SchemaRolloutReason.Rolling, $"Batch {status.CurrentWave?.Number}: {status.Migrated}/{status.Total} tenants at {target}."),
            SchemaRolloutPhase.Pending => (true, SchemaRolloutReason.Rolling, "Waiting for the first wave."),
            SchemaRolloutPhase.Paused => (false, SchemaRolloutReason.Paused, "spec.paused is true: no new tenant starts; tenants already migrating finish."),
            SchemaRolloutPhase.AwaitingApproval => (false, SchemaRolloutReason.AwaitingApproval, "The canary is done; set spec.paused to false to roll out to the rest."),
            SchemaRolloutPhase.Halted => (false, SchemaRolloutReason.FailureBudgetExceeded,
                $"{status.Failed} tenant(s) failed, more than maxFailures {budget}: no further tenant is started. See status.failedTenants."),
            SchemaRolloutPhase.Succeeded => (false, SchemaRolloutReason.Succeeded, $"{status.Migrated} tenant(s) at {target}; {status.Failed} failed, {status.Skipped} skipped (being deleted)."),
        };
        var conditions = Conditions.Set(existing, SchemaRolloutConditions.Progressing, progressing ? Conditions.True : Conditions.False, reason.ToWire(), message, generation, now);
        return status.Failed > 0
            ? Conditions.Set(conditions, SchemaRolloutConditions.Degraded, Conditions.True, SchemaRolloutReason.TenantsFailed.ToWire(),
                string.Join("; ", status.FailedTenants!.Select(f => $"{f.Name}: {f.Reason}")), generation, now)
            : Conditions.Set(conditions, SchemaRolloutConditions.Degraded, Conditions.False, SchemaRolloutReason.NoFailures.ToWire(), "No tenant failed.", generation, now);
    }

    private static SchemaRolloutWave? Copy(SchemaRolloutWave? wave) =>
        wave is null ? null : new SchemaRolloutWave { Number = wave.Number, Tenants = [.. wave.Tenants], Started = [.. wave.Started] };
}
