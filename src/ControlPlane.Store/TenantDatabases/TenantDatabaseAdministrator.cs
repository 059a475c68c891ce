using System.Security.Cryptography;
using Npgsql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Converges tenant roles and databases on one server, connected as that server's admin role (CREATEDB and
/// CREATEROLE, not superuser) to the maintenance database only. Whatever has to happen inside a tenant database, where
/// the tenant's triggers, functions and database settings can run code, happens in a session logged in as the tenant's
/// owner role, which holds no authority of the admin's (ADR-CP-008). Every operation observes first and is safe to
/// repeat after a crash at any point.
/// </summary>
public sealed class TenantDatabaseAdministrator(NpgsqlDataSource admin)
{
    /// <summary>Letters and digits: a one-time owner password needs no quoting anywhere.</summary>
    private const string PasswordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The admin role's own attributes and whether its session is encrypted (the doctor's check).</summary>
    public async Task<AdminRoleFacts> AdminFactsAsync(CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(TenantDatabaseSql.AdminFacts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new AdminRoleFacts(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3));
    }

    /// <summary>The server's PostgreSQL version as it reports it at login (<c>server_version</c>), e.g. <c>17.10</c>; no statement.</summary>
    public async Task<string> ServerVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
        return connection.ServerVersion;
    }

    /// <summary>Opens (and returns to the pool) one admin connection: login and TLS as configured, no statement.</summary>
    public async Task CheckReachableAsync(CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
    }

    public async Task<TenantDatabaseState> ObserveAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await using var command = admin.CreateCommand(TenantDatabaseSql.Observe);
        command.Parameters.Add(new() { Value = spec.Role });
        command.Parameters.Add(new() { Value = spec.Database });
        command.Parameters.Add(new() { Value = spec.OwnerRole });
        command.Parameters.Add(new() { Value = spec.OwnedRoles.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var exists = reader.GetFieldValue<bool[]>(17);
        var comments = reader.GetFieldValue<string?[]>(18);
        var marks = new OwnershipMarks(
            reader.IsDBNull(16) ? null : reader.GetString(16),
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
            OwnerExists: reader.GetBoolean(9),
            OwnerCanLogin: reader.GetBoolean(10),
            OwnerIsSuperuserOrPrivileged: reader.GetBoolean(11),
            AdminCanUseOwner: reader.GetBoolean(12),
            AppOwnsObjects: reader.GetBoolean(13),
            AppHasDefaultPrivileges: reader.GetBoolean(14),
            RolesHaveSessions: reader.GetBoolean(15),
            Marks: marks);
    }

    /// <summary>What the marks on the server prove for this tenant; one query, no change.</summary>
    public async Task<TenantOwnershipProof> ProveAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
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
        TenantDatabaseTarget spec, ScramVerifier? password, CancellationToken cancellationToken) =>
        ConvergeAsync(spec, password is null ? null : _ => Task.FromResult(password), cancellationToken);

    /// <summary>
    /// As <see cref="ConvergeAsync(TenantDatabaseTarget, ScramVerifier?, CancellationToken)"/>, asking for the password
    /// only when the role must be created, so a converged tenant costs one query and no secret read.
    /// </summary>
    public Task<IReadOnlyList<TenantDatabaseStep>> ConvergeAsync(
        TenantDatabaseTarget spec, Func<CancellationToken, Task<ScramVerifier>>? passwordForNewRole, CancellationToken cancellationToken) =>
        ConvergeAsync(spec, passwordForNewRole, beforeApply: null, cancellationToken);

    /// <summary>
    /// As above, calling <paramref name="beforeApply"/> once a plan has steps and before the first is applied (the caller
    /// proves what the spec was derived from is still current; an exception from it leaves the server unchanged).
    /// </summary>
    public async Task<IReadOnlyList<TenantDatabaseStep>> ConvergeAsync(
        TenantDatabaseTarget spec, Func<CancellationToken, Task<ScramVerifier>>? passwordForNewRole, Func<CancellationToken, Task>? beforeApply,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var plan = TenantDatabasePlanner.Plan(spec, await ObserveAsync(spec, cancellationToken));
        if (plan.Count > 0 && beforeApply is not null)
        {
            await beforeApply(cancellationToken);
        }

        var password = passwordForNewRole is not null && plan.Any(step => step is TenantDatabaseStep.CreateRole)
            ? await passwordForNewRole(cancellationToken)
            : null;

        // The marks a plan starts with (claimed, adopted or re-marked objects) are written together: a crash between two
        // of them would leave a half-marked tenant whose unmarked rest could no longer be claimed (TenantOwnershipProof).
        var remarks = plan.TakeWhile(step => step is TenantDatabaseStep.MarkRole or TenantDatabaseStep.MarkDatabase).ToList();
        if (remarks.Count > 0)
        {
            await ExecuteInTransactionAsync([.. remarks.Select(step => TenantDatabaseSql.For(step, spec, password))], cancellationToken);
        }

        foreach (var step in plan.Skip(remarks.Count))
        {
            await ApplyAsync(step, spec, password, cancellationToken);
        }

        return plan;
    }

    /// <summary>
    /// Sets the application role's password (provisioning and rotation only; a converged resync never calls this), once
    /// the role is proven to carry the tenant's mark.
    /// </summary>
    /// <exception cref="TenantDatabaseConflictException">The role is not provably the tenant's.</exception>
    public async Task SetPasswordAsync(TenantDatabaseTarget spec, ScramVerifier password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var proof = await ProveAsync(spec, cancellationToken);
        if (!proof.Roles.Contains(spec.Role))
        {
            throw proof.Problem ?? new TenantDatabaseConflictException(TenantDatabaseConflictKind.RoleNotOwned, $"Role {spec.Role} does not exist.");
        }

        await ExecuteAsync(TenantDatabaseSql.SetPassword(spec.Role, password), cancellationToken);
    }

    /// <summary>Ends every session of the tenant's two roles in every database of the server; returns how many were ended.</summary>
    public Task<int> TerminateSessionsAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return TerminateSessionsAsync([spec.Role, spec.OwnerRole], cancellationToken);
    }

    /// <summary>
    /// Brings the tenant database to <paramref name="target"/> in a session logged in as the owner role, then grants the
    /// application role its data privileges on what the migration created. Call after <see cref="ConvergeAsync(TenantDatabaseTarget, ScramVerifier?, CancellationToken)"/>.
    /// </summary>
    public async Task<SchemaMigrationOutcome> MigrateAsync(
        TenantDatabaseTarget spec, TenantSchemaMigrator migrator, SchemaVersion target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(migrator);

        // The owner gets a one-time password below: a password change, so the owner and the database must be proven first.
        var proof = await ProveAsync(spec, cancellationToken);
        if (!proof.Roles.Contains(spec.OwnerRole) || !proof.DatabaseProven)
        {
            throw proof.Problem ?? new TenantDatabaseConflictException(TenantDatabaseConflictKind.DatabaseNotOwned,
                $"Database {spec.Database} or its owner role {spec.OwnerRole} does not exist or is not provably this tenant's; converge first.");
        }

        return await AsOwnerAsync(spec, async connection =>
        {
            var outcome = await migrator.MigrateAsync(connection, target, cancellationToken);
            await InTransactionAsync(connection, TenantDatabaseSql.HandOverToOwner(spec, reassign: false, TenantSchemaMigrator.MetadataTable), cancellationToken);
            return outcome;
        }, cancellationToken);
    }

    /// <summary>
    /// The schema version the tenant database's own changelog records (null when it has none: an empty database), read
    /// in a session logged in as the application role with <paramref name="loginPassword"/> (the password of the
    /// tenant's Secret): the changelog is readable to it, whatever runs there runs with the tenant's rights only, and
    /// nothing is changed (no DDL, unlike a session of the owner role, which must be unsealed first). Unpooled, so no
    /// session outlives the read.
    /// </summary>
    /// <exception cref="PostgresException">The login or the read was refused (suspended, wrong password, connection limit).</exception>
    public async Task<SchemaVersion?> ObserveSchemaVersionAsync(TenantDatabaseTarget spec, string loginPassword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(loginPassword);
        await using var connection = await OpenTenantSessionAsync(spec.Role, loginPassword, spec.Database, "controlplane-operator-observer", cancellationToken);
        return await TenantSchemaMigrator.CurrentVersionAsync(connection, cancellationToken);
    }

    /// <summary>
    /// <c>deletionPolicy: Delete</c>: ends the roles' sessions, drops the database, then the roles, each only when it
    /// carries the tenant's mark, whatever the catalog says. Succeeds when they are already gone, so a tenant that never
    /// finished provisioning, or whose database was dropped by hand, is not stuck. Dropping the tenant's own database
    /// removes everything its roles own or were granted in it (what REASSIGN/DROP OWNED would do there, with no session
    /// inside it); a role that still owns objects or holds privileges elsewhere (2BP01) is not touched in those
    /// databases, which are not proven the tenant's: it is locked (NOLOGIN) and reported with what keeps it.
    /// </summary>
    public async Task<TenantDrop> DropAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var state = await ObserveAsync(spec, cancellationToken);
        var proof = TenantOwnershipProof.Of(spec, state);

        // Before the drop: a session in another database (the maintenance one) would outlive the role.
        await TerminateSessionsAsync(proof.Roles, cancellationToken);
        var left = new List<string>();
        if (proof.DatabaseProven)
        {
            await ExecuteAsync(TenantDatabaseSql.DropDatabase(spec.Database), cancellationToken);
        }
        else if (state.DatabaseExists)
        {
            left.Add($"database {spec.Database}");
        }

        var blocked = new List<RoleDependency>();
        foreach (var role in state.ObservedMarks.Roles.Where(r => r.Exists))
        {
            if (!proof.Roles.Contains(role.Role))
            {
                left.Add($"role {role.Role}");
                continue;
            }

            try
            {
                await ExecuteAsync(TenantDatabaseSql.DropRole(role.Role), cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DependentObjectsStillExist)
            {
                await ExecuteAsync(TenantDatabaseSql.LockRole(role.Role), cancellationToken);
                await TerminateSessionsAsync([role.Role], cancellationToken);
                blocked.AddRange(await DependenciesAsync(role.Role, cancellationToken));
            }
        }

        return new TenantDrop(left, blocked);
    }

    /// <summary>Why <paramref name="role"/> cannot be dropped, per database; read from the shared catalog only.</summary>
    public async Task<IReadOnlyList<RoleDependency>> DependenciesAsync(string role, CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(TenantDatabaseSql.RoleDependencies);
        command.Parameters.Add(new() { Value = role });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var dependencies = new List<RoleDependency>();
        while (await reader.ReadAsync(cancellationToken))
        {
            dependencies.Add(new RoleDependency(role, reader.IsDBNull(0) ? null : reader.GetString(0),
                reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4)));
        }

        return dependencies;
    }

    /// <summary>
    /// Every database of the server and every role carrying an ownership mark, with the marks (the estate audit's
    /// observation of this server). One read of the shared catalogs from the maintenance database; nothing is changed.
    /// </summary>
    public async Task<ServerInventory> InventoryAsync(CancellationToken cancellationToken)
    {
        await using var command = admin.CreateCommand(InventorySql.Inventory);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var databases = new List<InventoryObject>();
        var roles = new List<InventoryObject>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var item = new InventoryObject(reader.GetString(1), OwnershipMark.Parse(reader.IsDBNull(2) ? null : reader.GetString(2)), reader.GetBoolean(3));
            (reader.GetString(0) == "d" ? databases : roles).Add(item);
        }

        return new ServerInventory(databases, roles);
    }

    /// <summary><c>deletionPolicy: Retain</c>: the database and roles stay, but nobody can log in or connect.</summary>
    public async Task<IReadOnlyList<TenantDatabaseStep>> RetainAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var locked = spec with { Suspended = true };
        var state = await ObserveAsync(locked, cancellationToken);

        // What is not provably the tenant's is not locked down either: it is left exactly as found.
        if (TenantOwnershipProof.Of(locked, state).Problem is not null)
        {
            return [];
        }

        var plan = TenantDatabasePlanner.LockDown(locked, state);
        foreach (var step in plan)
        {
            await ApplyAsync(step, locked, password: null, cancellationToken);
        }

        return plan;
    }

    private async Task ApplyAsync(TenantDatabaseStep step, TenantDatabaseTarget spec, ScramVerifier? password, CancellationToken cancellationToken)
    {
        switch (step)
        {
            case TenantDatabaseStep.TerminateSessions:
                await TerminateSessionsAsync(spec, cancellationToken);
                return;
            case TenantDatabaseStep.SealOwner:
                await SealAsync(spec, cancellationToken);
                return;
            case TenantDatabaseStep.TransferDatabase:
                await ExecuteInTransactionAsync(TenantDatabaseSql.TransferDatabase(spec), cancellationToken);
                return;
            case TenantDatabaseStep.HandOverToOwner handOver:
                if (handOver.Reassign)
                {
                    await ExecuteAsync(TenantDatabaseSql.GrantApplicationToOwner(spec), cancellationToken);
                }

                await AsOwnerAsync(spec, async connection =>
                {
                    await InTransactionAsync(connection, TenantDatabaseSql.HandOverToOwner(spec, handOver.Reassign, TenantSchemaMigrator.MetadataTable), cancellationToken);
                    return true;
                }, cancellationToken);
                return;
        }

        try
        {
            // One transaction: a role the operator created never exists without its mark.
            var created = step switch
            {
                TenantDatabaseStep.CreateRole => spec.Role,
                TenantDatabaseStep.CreateOwnerRole => spec.OwnerRole,
                _ => null,
            };
            if (created is not null)
            {
                await ExecuteInTransactionAsync(
                    [TenantDatabaseSql.For(step, spec, password), TenantDatabaseSql.MarkRole(created, spec.Ownership.Tenant)], cancellationToken);
                return;
            }

            await ExecuteAsync(TenantDatabaseSql.For(step, spec, password), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateDatabase)
        {
            // Another attempt created it between our observation and this step: the goal is reached.
        }
    }

    /// <summary>
    /// An unpooled session in a tenant database as one of its roles, on the admin's host, port and TLS settings.
    /// search_path is pinned in the startup packet, which outranks ALTER DATABASE/ROLE … SET, so the tenant's settings
    /// cannot redirect names.
    /// </summary>
    private async Task<NpgsqlConnection> OpenTenantSessionAsync(string role, string password, string database, string applicationName, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(admin.ConnectionString)
        {
            Username = role,
            Password = password,
            Database = database,
            Pooling = false,
            SearchPath = "public",
            ApplicationName = applicationName,
        };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a session logged in as the owner role, which is given LOGIN and a one-time password
    /// held only here for as long as the session lasts, then sealed again (NOLOGIN, no password) and any other session of
    /// it ended, whatever happened. A crash before the seal leaves LOGIN, which the next converge seals
    /// (<see cref="TenantDatabaseStep.SealOwner"/>); the password died with the process.
    /// </summary>
    private async Task<T> AsOwnerAsync<T>(TenantDatabaseTarget spec, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        var password = RandomNumberGenerator.GetString(PasswordAlphabet, 40);
        await ExecuteAsync(TenantDatabaseSql.UnsealOwner(spec, ScramVerifier.Compute(password)), cancellationToken);
        try
        {
            // Unpooled: a pooled session would outlive the seal and block DROP DATABASE.
            await using var connection = await OpenTenantSessionAsync(spec.OwnerRole, password, spec.Database, "controlplane-operator-owner", cancellationToken);
            return await work(connection);
        }
        finally
        {
            // Not cancellable: a cancelled reconcile must not leave the owner able to log in.
            await SealAsync(spec, CancellationToken.None);
        }
    }

    private async Task SealAsync(TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        await ExecuteAsync(TenantDatabaseSql.SealOwner(spec), cancellationToken);

        // Code of the tenant's that ran in the owner's session could have set a password of its own and logged in.
        await TerminateSessionsAsync([spec.OwnerRole], cancellationToken);
    }

    private async Task<int> TerminateSessionsAsync(IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        if (roles.Count == 0)
        {
            return 0;
        }

        await using var command = admin.CreateCommand(TenantDatabaseSql.TerminateSessions);
        command.Parameters.Add(new() { Value = roles.ToArray() });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task ExecuteInTransactionAsync(IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
        await InTransactionAsync(connection, statements, cancellationToken);
    }

    private static async Task InTransactionAsync(NpgsqlConnection connection, IEnumerable<string> statements, CancellationToken cancellationToken)
    {
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

/// <summary>What a tenant server's admin role is: it must have CREATEDB and CREATEROLE and must not be a superuser.</summary>
public sealed record AdminRoleFacts(bool Superuser, bool CreateDatabase, bool CreateRole, bool Tls);
