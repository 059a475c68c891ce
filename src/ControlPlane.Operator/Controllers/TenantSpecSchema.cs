using System.Globalization;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Sandbox.KubeApi.Schema;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The Tenant CRD's validation written once, as data: every keyword (lengths, patterns, enums, bounds, defaults) of
/// every <c>spec</c> field and every CEL rule. The operator's <see cref="TenantValidation"/> evaluates this table;
/// <c>TenantCrdRuleTableTests</c> fails when config/crds says anything else; the generated corpus of
/// <c>TenantValidationCorpusTests</c> proves the API server and the operator give every spec the same verdict.
/// Semantics are kube-apiserver's: lengths in code points, patterns in RE2 (<see cref="Re2Pattern"/>).
/// </summary>
public static class TenantSpecSchema
{
    /// <summary>
    /// A database name leaves room for the owner role <c>&lt;database&gt;_owner</c> within PostgreSQL's 63 bytes
    /// (issue 12: each tenant gets an owner role and an application role).
    /// </summary>
    public const int MaxDatabaseName = 57;

    public const string OwnerRoleSuffix = TenantDatabaseTarget.OwnerSuffix;

    /// <summary>int4: the catalog's limit columns and PostgreSQL's connection limit.</summary>
    public const long MaxInt32 = int.MaxValue;

    public const string SlugPattern = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";

    /// <summary>A catalog id as the catalog writes it (lower-case UUID): the deleted tenant whose retained data is adopted.</summary>
    public const string AdoptFromPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

    public const string DatabaseNamePattern = "^[a-z_][a-z0-9_]{0,56}$";

    /// <summary>PostgreSQL refuses NUL in text; everything else is data.</summary>
    public const string NoNulPattern = "^[^\\x00]*$";

    /// <summary>
    /// Something@domain.tld with no separator or control character (no engine's idea of whitespace, nor NUL, nor a
    /// trailing newline), which keeps it inside the catalog's CHECK <c>tenants_contact_email_shape</c>.
    /// </summary>
    public const string ContactEmailPattern = "^[^@\\p{Z}\\p{Cc}]+@[^@\\p{Z}\\p{Cc}]+\\.[^@\\p{Z}\\p{Cc}]+$";

    /// <summary>Names PostgreSQL or the operator reserve, ordered for messages and the CEL list.</summary>
    public static readonly IReadOnlyList<string> ReservedNames = [.. TenantDatabaseTarget.ReservedNames.Order(StringComparer.Ordinal)];

    public static readonly IReadOnlyList<FieldRule> Fields =
    [
        new("spec.slug", "string", t => t.Spec.Slug) { MinLength = 1, MaxLength = 63, Pattern = SlugPattern },
        new("spec.displayName", "string", t => t.Spec.DisplayName) { MinLength = 1, MaxLength = 200, Pattern = NoNulPattern },
        new("spec.database", "object", t => t.Spec.Database) { Default = "{}" },
        new("spec.database.server", "string", t => t.Spec.Database?.Server) { MinLength = 1, MaxLength = 63, Pattern = SlugPattern },
        new("spec.database.serverSelector", "object", t => t.Spec.Database?.ServerSelector),
        new("spec.database.serverSelector.matchLabels", "object", t => t.Spec.Database?.ServerSelector?.MatchLabels),
        new("spec.database.name", "string", t => t.Spec.Database?.Name) { MinLength = 1, MaxLength = MaxDatabaseName, Pattern = DatabaseNamePattern },
        new("spec.database.adoptFrom", "string", t => t.Spec.Database?.AdoptFrom) { Pattern = AdoptFromPattern },
        new("spec.suspended", "boolean", t => t.Spec.Suspended) { Default = "false" },
        new("spec.suspendedReason", "string", t => t.Spec.SuspendedReason) { MaxLength = 500, Pattern = NoNulPattern },
        new("spec.deletionPolicy", "string", t => t.Spec.DeletionPolicy) { Enum = [DeletionPolicies.Retain, DeletionPolicies.Delete], Default = DeletionPolicies.Retain },
        new("spec.schemaVersion", "string", t => t.Spec.SchemaVersion) { MaxLength = 32, Pattern = "^[0-9]+(\\.[0-9]+)*$" },
        new("spec.billingPlan", "string", t => t.Spec.BillingPlan) { MaxLength = 63, Pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
        new("spec.contactEmail", "string", t => t.Spec.ContactEmail) { MaxLength = 254, Pattern = ContactEmailPattern },
        new("spec.maintenance", "boolean", t => t.Spec.Maintenance) { Default = "false" },
        new("spec.limits", "object", t => t.Spec.Limits),
        new("spec.limits.maxDbSizeMb", "integer", t => t.Spec.Limits?.MaxDbSizeMb) { Minimum = 1, Maximum = MaxInt32 },
        new("spec.limits.maxUsers", "integer", t => t.Spec.Limits?.MaxUsers) { Minimum = 1, Maximum = MaxInt32 },
        new("spec.limits.maxAttachmentsGb", "integer", t => t.Spec.Limits?.MaxAttachmentsGb) { Minimum = 0, Maximum = MaxInt32 },
        new("spec.limits.maxConnections", "integer", t => t.Spec.Limits?.MaxConnections) { Minimum = 1, Maximum = 10000 },
        new("spec.credentials", "object", t => t.Spec.Credentials),
        new("spec.credentials.secretRef", "string", t => t.Spec.Credentials?.SecretRef) { MaxLength = SecretReference.MaxLength, Pattern = SecretReference.Pattern },
        new("spec.credentials.rotateEvery", "string", t => t.Spec.Credentials?.RotateEvery) { Pattern = RotationPeriod.Pattern },
    ];

    /// <summary>The CEL rules about one state of the object, each with the C# that decides the same.</summary>
    public static readonly IReadOnlyList<CelRule> Rules =
    [
        new(string.Empty,
            $"has(self.spec.slug) || self.metadata.name.matches('{SlugPattern}')",
            "metadata.name cannot serve as the slug (lower-case letters, digits and '-', starting with a letter, at most 63); set spec.slug",
            t => t.Spec.Slug is not null || Re2Pattern.IsMatch(SlugPattern, t.Metadata.Name ?? string.Empty)),
        new(string.Empty,
            $"(has(self.spec.database) && has(self.spec.database.name)) || size({EffectiveSlugCel}) <= {MaxDatabaseName}",
            $"a database name derived from a slug longer than {MaxDatabaseName} characters is too long; set spec.database.name",
            t => t.Spec.Database?.Name is not null || Length(TenantSpecRules.EffectiveSlug(t)) <= MaxDatabaseName),
        new(string.Empty,
            $"(has(self.spec.database) && has(self.spec.database.name)) || !({EffectiveSlugCel} in [{CelList(ReservedNames.Select(n => n.Replace('_', '-')))}] || {EffectiveSlugCel}.startsWith('pg-'))",
            "the database name derived from the slug is reserved by PostgreSQL (pg_*, " + string.Join(", ", ReservedNames) + "); set spec.database.name",
            t => t.Spec.Database?.Name is not null || !IsReserved(TenantSpecRules.EffectiveSlug(t).Replace('-', '_'))),
        new(string.Empty,
            $"(has(self.spec.database) && has(self.spec.database.name)) || !{EffectiveSlugCel}.endsWith('{OwnerRoleSuffix.Replace('_', '-')}')",
            $"the database name derived from the slug ends in '{OwnerRoleSuffix}', which is reserved for the tenant's owner role; set spec.database.name",
            t => t.Spec.Database?.Name is not null || !TenantSpecRules.EffectiveSlug(t).EndsWith(OwnerRoleSuffix.Replace('_', '-'), StringComparison.Ordinal)),
        new("spec",
            "!has(self.suspendedReason) || (has(self.suspended) && self.suspended)",
            "suspendedReason is only allowed while suspended is true",
            t => t.Spec.SuspendedReason is null || t.Spec.Suspended == true),
        new("spec.database.name",
            $"!(self in [{CelList(ReservedNames)}] || self.startsWith('pg_'))",
            "database.name must not be a name PostgreSQL reserves (pg_*, " + string.Join(", ", ReservedNames) + ")",
            t => !IsReserved(t.Spec.Database!.Name!)),
        new("spec.database.name",
            $"!self.endsWith('{OwnerRoleSuffix}')",
            $"database.name must not end in '{OwnerRoleSuffix}' (reserved for the tenant's owner role)",
            t => !t.Spec.Database!.Name!.EndsWith(OwnerRoleSuffix, StringComparison.Ordinal)),
        new("spec.credentials.secretRef",
            $"!self.lowerAscii().matches('{SecretReference.ForbiddenPattern.Replace("\\", "\\\\", StringComparison.Ordinal)}')",
            "secretRef must be a reference, not a credential",
            t => !Re2Pattern.IsMatch(SecretReference.ForbiddenPattern, LowerAscii(t.Spec.Credentials!.SecretRef!))),
        new("spec.credentials",
            "!has(self.rotateEvery) || !has(self.secretRef)",
            "rotateEvery needs generated credentials: the operator rotates only passwords it generated (leave secretRef unset)",
            t => t.Spec.Credentials!.RotateEvery is null || t.Spec.Credentials.SecretRef is null),
    ];

    /// <summary>CEL rules about a change (<c>oldSelf</c>): the API server's alone, since the operator sees one state.</summary>
    public static readonly IReadOnlyList<(string Path, string Rule, string Message)> TransitionRules =
    [
        ("spec", "has(self.slug) == has(oldSelf.slug)", "slug is immutable; set it at creation or leave it defaulted to metadata.name"),
        ("spec.slug", "self == oldSelf", "slug is immutable"),
        ("spec.database", "has(self.name) == has(oldSelf.name)", "database.name is immutable; set it at creation or leave it defaulted from the slug"),
        ("spec.database", "has(self.server) == has(oldSelf.server)", "database.server is immutable; set it at creation or leave it to placement"),
        ("spec.database.server", "self == oldSelf", "database.server is immutable"),
        ("spec.database.name", "self == oldSelf", "database.name is immutable"),
        ("spec", "(has(self.credentials) && has(self.credentials.secretRef)) == (has(oldSelf.credentials) && has(oldSelf.credentials.secretRef))", "credentials.secretRef is immutable; set it at creation or leave it unset to have the password generated"),
        ("spec.credentials.secretRef", "self == oldSelf", "credentials.secretRef is immutable"),
    ];

    private const string EffectiveSlugCel = "(has(self.spec.slug) ? self.spec.slug : self.metadata.name)";

    /// <summary>Whether PostgreSQL reserves the name (or it would shadow the server's own databases).</summary>
    public static bool IsReserved(string name) =>
        TenantDatabaseTarget.ReservedNames.Contains(name) || name.StartsWith("pg_", StringComparison.Ordinal);

    /// <summary>Every rule of the table the tenant breaks, in table order; empty when the API server would accept it.</summary>
    public static List<string> Check(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var problems = new List<string>();
        foreach (var field in Fields)
        {
            if (field.Read(tenant) is { } value)
            {
                field.Check(value, problems);
            }
        }

        foreach (var rule in Rules)
        {
            // A rule applies where its node holds a value, as in kube-apiserver.
            var node = rule.Path is "" or "spec" ? tenant.Spec : Fields.First(f => f.Path == rule.Path).Read(tenant);
            if (node is not null && !rule.Holds(tenant))
            {
                problems.Add(rule.Path.Length == 0 ? rule.Message + "." : $"{rule.Path}: {rule.Message}.");
            }
        }

        return problems;
    }

    /// <summary>String length as kube-apiserver counts it (code points; a lone surrogate, read as U+FFFD, is one).</summary>
    public static int Length(string text) => text.EnumerateRunes().Count();

    private static string CelList(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    private static string LowerAscii(string text) => string.Create(text.Length, text, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] + 32) : source[i];
        }
    });

    /// <summary>One schema node under <c>spec</c>: its type and validation keywords, as the CRD states them.</summary>
    public sealed record FieldRule(string Path, string Type, Func<Tenant, object?> Read)
    {
        public int? MinLength { get; init; }

        public int? MaxLength { get; init; }

        /// <summary>RE2, verbatim as in the CRD.</summary>
        public string? Pattern { get; init; }

        public IReadOnlyList<string>? Enum { get; init; }

        public long? Minimum { get; init; }

        public long? Maximum { get; init; }

        /// <summary>The CRD's default as JSON text; the operator applies the same default when the field is absent.</summary>
        public string? Default { get; init; }

        internal void Check(object value, List<string> problems)
        {
            switch (value)
            {
                case string text:
                    var length = Length(text);
                    if (length < MinLength)
                    {
                        problems.Add($"{Path} must be at least {MinLength} characters.");
                    }

                    if (length > MaxLength)
                    {
                        problems.Add($"{Path} must be at most {MaxLength} characters.");
                    }

                    if (Pattern is not null && !Re2Pattern.IsMatch(Pattern, text))
                    {
                        problems.Add($"{Path} must match {Pattern}.");
                    }

                    if (Enum is not null && !Enum.Contains(text))
                    {
                        problems.Add($"{Path} must be one of {string.Join(", ", Enum)}.");
                    }

                    break;
                case long or int:
                    var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    if (number < Minimum)
                    {
                        problems.Add($"{Path} must be at least {Minimum}.");
                    }

                    if (number > Maximum)
                    {
                        problems.Add($"{Path} must be at most {Maximum}.");
                    }

                    break;
            }
        }
    }

    /// <summary>An <c>x-kubernetes-validations</c> rule at <see cref="Path"/> ("" is the root) and the C# that decides the same.</summary>
    public sealed record CelRule(string Path, string Rule, string Message, Func<Tenant, bool> Holds);
}
