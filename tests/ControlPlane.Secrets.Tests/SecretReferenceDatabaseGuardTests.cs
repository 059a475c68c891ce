using System.Text.RegularExpressions;
using ControlPlane.Core.Secrets;
using ControlPlane.Testing;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>
/// The catalog's guard on <c>db_secret_ref</c> is built from <see cref="SecretReference.Pattern"/> and
/// <see cref="SecretReference.ForbiddenPattern"/>. PostgreSQL's regex dialect is not .NET's, so the same
/// corpora are judged by PostgreSQL 17 and must get the C# parser's verdict, string for string.
/// </summary>
public sealed class SecretReferenceDatabaseGuardTests(PostgresFixture postgres)
{
    [Fact]
    public async Task PostgreSQL_judges_every_reference_exactly_as_the_parser_does()
    {
        var corpus = Corpus();

        await using var command = postgres.Admin.CreateCommand(
            "SELECT r, (length(r) <= @max AND r ~ @pattern AND r !~* @forbidden) FROM unnest(@refs::text[]) AS r");
        command.Parameters.AddWithValue("max", SecretReference.MaxLength);
        command.Parameters.AddWithValue("pattern", SecretReference.Pattern);
        command.Parameters.AddWithValue("forbidden", SecretReference.ForbiddenPattern);
        command.Parameters.AddWithValue("refs", corpus);

        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            verdicts[reader.GetString(0)] = reader.GetBoolean(1);
        }

        Assert.Equal(corpus.Distinct().Count(), verdicts.Count);
        var disagreements = verdicts.Where(v => SecretReference.TryParse(v.Key, out _, out _) != v.Value).Select(v => v.Key).ToList();
        Assert.Empty(disagreements);
        Assert.Contains(verdicts, v => v.Value);
        Assert.Contains(verdicts, v => !v.Value);
    }

    [Fact]
    public void The_CRD_pattern_the_catalog_migration_and_the_CI_guard_carry_the_grammar_verbatim()
    {
        var crd = File.ReadAllText(Repository.Path("config", "crds", "controlplane.econt.io_tenants.yaml"));
        var migration = File.ReadAllText(Repository.Path("sql", "control_plane", "V11__cloud_secret_references.sql"));
        var guard = File.ReadAllText(Repository.Path("sql", "ci", "secret_guard.sql"));

        Assert.Contains($"pattern: '{SecretReference.Pattern}'", crd, StringComparison.Ordinal);
        Assert.Contains($"db_secret_ref ~ '{SecretReference.Pattern}'", migration, StringComparison.Ordinal);
        Assert.Contains($"db_secret_ref !~* '{SecretReference.ForbiddenPattern}'", migration, StringComparison.Ordinal);
        Assert.Contains($"db_secret_ref !~ '{SecretReference.Pattern}'", guard, StringComparison.Ordinal);
        Assert.Contains($"db_secret_ref ~* '{SecretReference.ForbiddenPattern}'", guard, StringComparison.Ordinal);
    }

    [Fact]
    public void The_CRD_pattern_judges_the_corpus_as_the_parser_does()
    {
        // The API server evaluates the CRD pattern with RE2; this pattern uses only what RE2, POSIX ARE and .NET
        // read alike (classes, groups, bounded repetition), so .NET stands in for RE2 here.
        var crd = File.ReadAllText(Repository.Path("config", "crds", "controlplane.econt.io_tenants.yaml"));
        var pattern = Regex.Match(crd, @"secretRef:\n(?:\s+[A-Za-z]+:.*\n)*?\s+pattern: '(?<p>[^']+)'").Groups["p"].Value;
        Assert.NotEmpty(pattern);
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);

        var disagreements = Corpus()
            .Where(text => text.Length <= SecretReference.MaxLength && !Regex.IsMatch(text, "(://|@|\\s|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\\.)", RegexOptions.IgnoreCase))
            .Where(text => regex.IsMatch(text) != SecretReference.TryParse(text, out _, out _))
            .ToList();
        Assert.Empty(disagreements);
    }

    [Fact]
    public async Task The_CI_guard_passes_on_every_valid_reference_and_fails_on_every_other()
    {
        var guard = await File.ReadAllTextAsync(Repository.Path("sql", "ci", "secret_guard.sql"), TestContext.Current.CancellationToken);
        var schema = $"guard_{Guid.NewGuid():N}";
        await using (var setup = postgres.Admin.CreateCommand(
            $"CREATE SCHEMA {schema}; CREATE TABLE {schema}.tenants (db_secret_ref text NOT NULL CHECK (length(db_secret_ref) > 0 AND db_secret_ref LIKE '%'))"))
        {
            await setup.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        // The guard runs unchanged against a scratch copy of the one table it reads, one reference at a time.
        var script = guard.Replace("control_plane", schema, StringComparison.Ordinal);
        var corpus = Corpus().Where((text, i) => i % 5 == 0 && text.Length > 0).ToArray();
        var disagreements = new List<string>();
        await using var connection = await postgres.Admin.OpenConnectionAsync(TestContext.Current.CancellationToken);
        foreach (var text in corpus)
        {
            await using (var insert = new Npgsql.NpgsqlCommand($"TRUNCATE {schema}.tenants; INSERT INTO {schema}.tenants VALUES (@r)", connection))
            {
                insert.Parameters.AddWithValue("r", text);
                await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            bool passed;
            try
            {
                await using var run = new Npgsql.NpgsqlCommand(script, connection);
                await run.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                passed = true;
            }
            catch (Npgsql.PostgresException e) when (e.MessageText.StartsWith("secret guard:", StringComparison.Ordinal))
            {
                passed = false;
            }

            if (passed != SecretReference.TryParse(text, out _, out _))
            {
                disagreements.Add(text);
            }
        }

        Assert.Empty(disagreements);
    }

    private static string[] Corpus()
    {
        var valid = ReferenceCorpus.Valid(21, 500);
        return valid
            .Concat(ReferenceCorpus.WithForbiddenFragment(22, valid))
            .Concat(SecretReferenceGrammarTests.InvalidReferences.Select(row => row.Data))
            .Concat(SecretReferenceGrammarTests.ValidReferences.Select(row => row.Data.Item1))
            .Where(text => !text.Contains('\u00a0', StringComparison.Ordinal)) // not ASCII: refused by Pattern in both, but locale-dependent in [[:space:]]
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }
}
