using ControlPlane.Store.Secrets;
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
        var valid = ReferenceCorpus.Valid(21, 500);
        var corpus = valid
            .Concat(ReferenceCorpus.WithForbiddenFragment(22, valid))
            .Concat(SecretReferenceGrammarTests.InvalidReferences.Select(row => row.Data))
            .Concat(SecretReferenceGrammarTests.ValidReferences.Select(row => row.Data.Item1))
            .Where(text => !text.Contains('\u00a0', StringComparison.Ordinal)) // not ASCII: refused by Pattern in both, but locale-dependent in [[:space:]]
            .ToArray();

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
}
