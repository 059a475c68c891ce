using Npgsql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Converges tenant roles and databases on one server, connected as that server's admin role
/// (CREATEDB and CREATEROLE, not superuser). Every operation observes first and is safe to repeat
/// after a crash at any point.
/// </summary>
public sealed class TenantDatabaseAdministrator(NpgsqlDataSource admin)
{
    public async Task<TenantDatabaseState> ObserveAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await using var command = admin.CreateCommand(TenantDatabaseSql.Observe);
        command.Parameters.Add(new() { Value = spec.Role });
        command.Parameters.Add(new() { Value = spec.Database });
        command.Parameters.Add(new() { Value = spec.OwnedRoles.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var exists = reader.GetFieldValue<bool[]>(11);
        var comments = reader.GetFieldValue<string?[]>(12);
        var marks = new OwnershipMarks(
            reader.IsDBNull(10) ? null : reader.GetString(10),
            [.. spec.OwnedRoles.Select((role, i) => new ObservedRoleMark(role, exists[i], comments[i]))]);
        return new TenantDatabaseState(
            RoleExists: reader.GetBoolean(0),
            RoleCanLogin: reader.GetBoolean(1),
            RoleConnectionLimit: reader.GetInt32(2),
            RoleIsSuperuserOrPrivileged: reader.GetBoolean(3),
            AdminCanUseRole: reader.GetBoolean(4),
            DatabaseExists: reader.GetBoolean(5),
            DatabaseOwner: reader.IsDBNull(6) ? null : reader.GetString(6),
            PublicCanConnect: reader.GetBoolean(7),
            RoleCanConnect: reader.GetBoolean(8),
            AdminCanConnect: reader.GetBoolean(9),
            Marks: marks);
    }

    /// <summary>What the marks on the server prove for this tenant; one query, no change.</summary>
    public async Task<TenantOwnershipProof> ProveAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return TenantOwnershipProof.Of(spec, await ObserveAsync(spec, cancellationToken));
    }

    /// <summary>
    /// Observes, plans and applies until the server matches <paramref name="spec"/>; returns the steps applied
    /// (none for a converged tenant). <paramref name="password"/> is used only if the role must be created.
    /// </summary>
    public Task<IReadOnlyList<TenantDatabaseStep>> ConvergeAsync(
        TenantDatabaseSpec spec, ScramVerifier? password, CancellationToken cancellationToken) =>
        ConvergeAsync(spec, password is null ? null : _ => Task.FromResult(password), cancellationToken);

    /// <summary>
    /// As <see cref="ConvergeAsync(TenantDatabaseSpec, ScramVerifier?, CancellationToken)"/>, asking for the password
    /// only when the role must be created, so a converged tenant costs one query and no secret read.
    /// </summary>
    public async Task<IReadOnlyList<TenantDatabaseStep>> ConvergeAsync(
        TenantDatabaseSpec spec, Func<CancellationToken, Task<ScramVerifier>>? passwordForNewRole, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var plan = TenantDatabasePlanner.Plan(spec, await ObserveAsync(spec, cancellationToken));
        var password = passwordForNewRole is not null && plan.Any(step => step is TenantDatabaseStep.CreateRole)
            ? await passwordForNewRole(cancellationToken)
            : null;
        foreach (var step in plan)
        {
            await ApplyAsync(step, spec, password, cancellationToken);
        }

        return plan;
    }

    /// <summary>
    /// Sets the role's password (provisioning and rotation only; a converged resync never calls this), once the role
    /// is proven to carry the tenant's mark.
    /// </summary>
    /// <exception cref="TenantDatabaseConflictException">The role is not provably the tenant's.</exception>
    public async Task SetPasswordAsync(TenantDatabaseSpec spec, ScramVerifier password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var proof = await ProveAsync(spec, cancellationToken);
        if (!proof.Roles.Contains(spec.Role))
        {
            throw proof.Problem ?? new TenantDatabaseConflictException(TenantOwnershipProof.RoleNotOwned, $"Role {spec.Role} does not exist.");
        }

        await ExecuteAsync(TenantDatabaseSql.SetPassword(spec.Role, password), cancellationToken);
    }

    /// <summary>Ends every session on the tenant's database; returns how many were ended.</summary>
    public async Task<int> TerminateSessionsAsync(string database, CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(TenantDatabaseSql.TerminateSessions);
        command.Parameters.Add(new() { Value = database });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// <c>deletionPolicy: Delete</c>: ends sessions, drops the database, then the roles, each only when it carries the
    /// tenant's mark, whatever the catalog says. Succeeds when they are already gone, so a tenant that never finished
    /// provisioning, or whose database was dropped by hand, is not stuck. Returns what exists under the tenant's names
    /// but was left because it is not provably the tenant's (empty when nothing was left).
    /// </summary>
    public async Task<IReadOnlyList<string>> DropAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var state = await ObserveAsync(spec, cancellationToken);
        var proof = TenantOwnershipProof.Of(spec, state);
        var left = new List<string>();
        if (proof.DatabaseProven)
        {
            await ExecuteAsync(TenantDatabaseSql.DropDatabase(spec.Database), cancellationToken);
        }
        else if (state.DatabaseExists)
        {
            left.Add($"database {spec.Database}");
        }

        foreach (var role in state.ObservedMarks.Roles.Where(r => r.Exists))
        {
            if (proof.Roles.Contains(role.Role))
            {
                await ExecuteAsync(TenantDatabaseSql.DropRole(role.Role), cancellationToken);
            }
            else
            {
                left.Add($"role {role.Role}");
            }
        }

        return left;
    }

    /// <summary><c>deletionPolicy: Retain</c>: the database and role stay, but nobody can log in or connect.</summary>
    public Task<IReadOnlyList<TenantDatabaseStep>> RetainAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return RetainCoreAsync(spec with { Suspended = true }, cancellationToken);
    }

    private async Task<IReadOnlyList<TenantDatabaseStep>> RetainCoreAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        var state = await ObserveAsync(spec, cancellationToken);

        // What is not provably the tenant's is not locked down either: it is left exactly as found.
        if ((!state.RoleExists && !state.DatabaseExists) || TenantOwnershipProof.Of(spec, state).Problem is not null)
        {
            return [];
        }

        // Retaining never creates what is missing: only lock down what is there.
        var plan = TenantDatabasePlanner.Plan(spec, state)
            .Where(step => step is not (TenantDatabaseStep.CreateRole or TenantDatabaseStep.CreateDatabase or TenantDatabaseStep.GrantRoleToAdmin))
            .Where(step => state.DatabaseExists || step is TenantDatabaseStep.SetLogin or TenantDatabaseStep.SetConnectionLimit)
            .ToList();
        foreach (var step in plan)
        {
            await ApplyAsync(step, spec, password: null, cancellationToken);
        }

        return plan;
    }

    private async Task ApplyAsync(TenantDatabaseStep step, TenantDatabaseSpec spec, ScramVerifier? password, CancellationToken cancellationToken)
    {
        if (step is TenantDatabaseStep.TerminateSessions)
        {
            await TerminateSessionsAsync(spec.Database, cancellationToken);
            return;
        }

        try
        {
            if (step is TenantDatabaseStep.CreateRole)
            {
                // One transaction: a role the operator created never exists without its mark.
                await ExecuteInTransactionAsync(
                    [TenantDatabaseSql.For(step, spec, password), TenantDatabaseSql.MarkRole(spec.Role, spec.Ownership.Tenant)], cancellationToken);
                return;
            }

            await ExecuteAsync(TenantDatabaseSql.For(step, spec, password), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateDatabase)
        {
            // Another attempt created it between our observation and this step: the goal is reached.
        }
    }

    private async Task ExecuteInTransactionAsync(IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
