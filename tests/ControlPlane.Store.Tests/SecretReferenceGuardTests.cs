using ControlPlane.Core.Secrets;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

/// <summary>The one secret-reference rule, held twice: by the C# parser and by the catalog's CHECK. They must agree.</summary>
public sealed class SecretReferenceGuardTests(PostgresFixture postgres)
{
    private static readonly (string Reference, bool Valid)[] References =
    [
        ("k8s:econt-tenants/tenant-acme-db#password", true),
        ("k8s:ns/name.with.dots#key_1", true),
        ("k8s:ns/token-store#token", true),
        ("vault:secret/econt/tenants/acme#password", true),
        ("vault:kv/a#k", true),
        ("env:ACME_DB_PASSWORD", true),
        ("mock:acme", true),
        ("mock:acme-2.test_x", true),
        ("aws:eu-west-1/econt/tenants/acme#password", true),
        ("gcp:econt-prod/tenant-acme-db#password", true),
        ("azure:econt-kv/tenant-acme-db#password", true),
        ("aws:eu-west-1/econt/tenants/acme", false),
        ("gcp:econt-prod/a/b#password", false),
        ("azure:econt-kv/a_b#password", false),
        ("mock:" + new string('a', SecretReference.MaxLength - 5), true),
        ("", false),
        ("mock:" + new string('a', SecretReference.MaxLength - 4), false),
        ("postgresql://app:s3cret@db:5432/acme", false),  // secretlint-disable-line
        ("https://vault.example.com/v1/secret/data/acme#password", false),
        ("user:pass@host", false),
        ("app:s3cret@db.internal:5432", false),
        ("password=s3cret", false),
        ("Password=s3cret;Host=db", false),
        ("mock:pwd=x", false),
        ("k8s:ns/name#token=abc", false),
        ("env:APIKEY", false),
        ("env:MY_API_KEY", false),
        ("vault:secret/acme#hvs.CAESIabcdef", false),
        ("mock:ac me", false),
        (" mock:acme", false),
        ("mock:acme\n", false),
        ("mock:acme\t", false),
        ("k8s:NS/name#key", false),
        ("k8s:ns/name", false),
        ("vault:secret#key", false),
        ("vault:secret//acme#key", false),
        ("s3:bucket/key", false),
        ("mock:", false),
        ("mock:Acme", false),
        ("env:lower_case", false),
        ("mock:acmé", false),
    ];

    [Fact]
    public async Task The_parser_and_the_database_check_accept_and_refuse_the_same_references()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var disagreements = new List<string>();
        var index = 0;
        foreach (var (reference, expected) in References)
        {
            var parsed = SecretReference.TryParse(reference, out _, out _);
            var stored = await DatabaseAcceptsAsync(db, reference, index++);
            if (parsed != expected || stored != expected)
            {
                disagreements.Add($"{Show(reference)}: expected {expected}, C# {parsed}, database {stored}");
            }
        }

        Assert.Empty(disagreements);
    }

    [Fact]
    public async Task The_database_check_uses_the_csharp_patterns_verbatim()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var definition = await db.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'tenants_db_secret_ref_guard'");

        Assert.Contains($"'{SecretReference.Pattern}'", definition, StringComparison.Ordinal);
        Assert.Contains($"!~* '{SecretReference.ForbiddenPattern}'", definition, StringComparison.Ordinal);
        Assert.Contains($"<= {SecretReference.MaxLength}", definition, StringComparison.Ordinal);
    }

    private static async Task<bool> DatabaseAcceptsAsync(MigratedDatabase db, string reference, int index)
    {
        try
        {
            await db.InsertRawTenantAsync($"t{index}", $"db_{index}", reference);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName == "tenants_db_secret_ref_guard")
        {
            return false;
        }
    }

    private static string Show(string value) => value.Length > 40 ? value[..40] + "…" : value.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
