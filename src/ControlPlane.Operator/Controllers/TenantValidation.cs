using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The one validation of a Tenant, before any side effect, for reconcile and deletion alike: either the intent (every
/// default applied, the schema target resolved) or every problem at once. Pure: the CRD's rules
/// (<see cref="TenantSpecSchema"/>), then what only the running operator knows (<see cref="TenantValidationContext"/>),
/// then the catalog's and the database server's own checks on the names and values they would receive, so nothing
/// passes here that the store refuses after a catalog row or a Secret exists.
/// </summary>
public abstract record TenantValidation
{
    private TenantValidation()
    {
    }

    public static TenantValidation Of(Tenant tenant, TenantValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(context);
        var problems = TenantSpecSchema.Check(tenant);
        if (problems.Count > 0)
        {
            return new Invalid(problems);
        }

        var server = TenantSpecRules.EffectiveServer(tenant);
        if (!context.Servers.TryGetValue(server, out var facts))
        {
            problems.Add(context.Servers.Count == 0
                ? $"spec.database.server '{server}' is unknown: the operator has no tenant database servers configured."
                : $"spec.database.server '{server}' is unknown; configured servers: {string.Join(", ", context.Servers.Keys.Order(StringComparer.Ordinal))}.");
        }

        problems.AddRange(CredentialRotationRules.Problems(tenant));
        var slug = TenantSpecRules.EffectiveSlug(tenant);
        SecretReference? generated = null;
        if (tenant.Spec.Credentials?.SecretRef is null)
        {
            try
            {
                generated = context.GeneratedSecretRef(slug);
            }
            catch (SecretReferenceException e)
            {
                problems.Add($"No valid secret reference can be generated for this slug: {e.Message}");
            }
        }

        SchemaVersion? target = null;
        try
        {
            target = context.ResolveSchema(tenant.Spec.SchemaVersion);
        }
        catch (SchemaMigrationException e)
        {
            problems.Add($"spec.schemaVersion: {e.Message}");
        }

        if (problems.Count > 0 || facts is null || target is null)
        {
            return new Invalid(problems);
        }

        var intent = TenantIntent.From(tenant, _ => generated!);
        ServerProblems(intent, facts, problems);
        StoreProblems(tenant, intent, facts, problems);
        return problems.Count > 0 ? new Invalid(problems) : new Valid(intent, target);
    }

    /// <summary>
    /// The server's own names: a tenant named like the admin role would have the operator re-password or drop its own
    /// login. The message does not repeat the admin's names to the Tenant's author.
    /// </summary>
    private static void ServerProblems(TenantIntent intent, TenantServerFacts facts, List<string> problems)
    {
        string[] names = [intent.Database, intent.Role, intent.Database + TenantSpecSchema.OwnerRoleSuffix];
        if (names.Any(facts.ReservedNames.Contains))
        {
            problems.Add($"database name '{intent.Database}' is reserved on server '{facts.Name}' (a name of its administrator); set spec.database.name.");
        }
    }

    /// <summary>The catalog's and the database server's checks, run on what they will receive (defence in depth).</summary>
    private static void StoreProblems(Tenant tenant, TenantIntent intent, TenantServerFacts facts, List<string> problems)
    {
        foreach (var check in (ReadOnlySpan<Action>)[
                     intent.DatabaseTarget(new TenantOwnership(Guid.Empty)).Validate,
                     intent.Registration(new TenantDatabaseServerAddress(facts.Name, facts.Host, facts.Port), TenantIntent.OwnerOf(tenant)).Validate])
        {
            try
            {
                check();
            }
            catch (ArgumentException e)
            {
                problems.Add(e.Message);
            }
        }
    }

    /// <summary>The spec is valid: what to provision, and the schema version a new database gets.</summary>
    public sealed record Valid(TenantIntent Intent, SchemaVersion Target) : TenantValidation;

    /// <summary>Every problem, as sentences for the Ready condition's message.</summary>
    public sealed record Invalid(IReadOnlyList<string> Problems) : TenantValidation;
}

/// <summary>What only the running operator knows, as plain inputs of <see cref="TenantValidation"/>.</summary>
/// <param name="Servers">The configured tenant database servers by name.</param>
/// <param name="GeneratedSecretRef">Where a generated password goes for a slug (the secret store's planner); may throw <see cref="SecretReferenceException"/>.</param>
/// <param name="ResolveSchema">A requested schema version (null: the newest) to a shipped one; throws <see cref="SchemaMigrationException"/> when none ships.</param>
public sealed record TenantValidationContext(
    IReadOnlyDictionary<string, TenantServerFacts> Servers,
    Func<string, SecretReference> GeneratedSecretRef,
    Func<string?, SchemaVersion> ResolveSchema)
{
    public static TenantValidationContext For(TenantLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        var servers = lifecycle.Servers.All.ToDictionary(
            server => server.Name,
            server => new TenantServerFacts(server.Name, server.Host, server.Port, TenantServerFacts.AdministratorNames(server.AdminUser)),
            StringComparer.Ordinal);
        return new TenantValidationContext(servers, lifecycle.GeneratedSecretRef, lifecycle.Migrator.ResolveTarget);
    }
}

/// <summary>A configured tenant database server, and the names on it that belong to its administrator.</summary>
public sealed record TenantServerFacts(string Name, string Host, int Port, IReadOnlySet<string> ReservedNames)
{
    /// <summary>The admin's role, and the database its connections open (see <c>TenantDatabaseServer</c>).</summary>
    public static IReadOnlySet<string> AdministratorNames(string adminUser) =>
        new HashSet<string>(StringComparer.Ordinal) { adminUser, "postgres" };
}
