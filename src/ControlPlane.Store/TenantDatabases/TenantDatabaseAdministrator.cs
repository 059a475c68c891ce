using Npgsql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Converges tenant roles and databases on one server, connected as that server's admin role
/// (CREATEDB and CREATEROLE, not superuser). Every operation observes first and is safe to repeat
/// after a crash at any point.
/// </summary>
public sealed class TenantDatabaseAdministrator(NpgsqlDataSource admin)
{
    /// <summary>Opens (and returns to the pool) one admin connection: login and TLS as configured, no statement.</summary>
    public async Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
    }

    public async Task<TenantDatabaseState> ObserveAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await using var command = admin.CreateCommand(TenantDatabaseSql.Observe);
        command.Parameters.Add(new() { Value = spec.Role });
        command.Parameters.Add(new() { Value = spec.Database });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
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
            AdminCanConnect: reader.GetBoolean(9));
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

    /// <summary>Sets the role's password (provisioning and rotation only; a converged resync never calls this).</summary>
    public async Task SetPasswordAsync(TenantDatabaseSpec spec, ScramVerifier password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
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
    /// <c>deletionPolicy: Delete</c>: ends sessions, drops the database, then the role. Succeeds when either is
    /// already gone, so a tenant that never finished provisioning, or whose database was dropped by hand, is not stuck.
    /// </summary>
    public async Task DropAsync(TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var state = await ObserveAsync(spec, cancellationToken);
        if (state.DatabaseExists && string.Equals(state.DatabaseOwner, spec.Role, StringComparison.Ordinal))
        {
            await ExecuteAsync(TenantDatabaseSql.DropDatabase(spec.Database), cancellationToken);
        }

        if (state.RoleExists && !state.RoleIsSuperuserOrPrivileged)
        {
            await ExecuteAsync(TenantDatabaseSql.DropRole(spec.Role), cancellationToken);
        }
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
        if (!state.RoleExists && !state.DatabaseExists)
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
            await ExecuteAsync(TenantDatabaseSql.For(step, spec, password), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateDatabase)
        {
            // Another attempt created it between our observation and this step: the goal is reached.
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
