using ControlPlane.Core.Secrets;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>The one reference grammar, by table and by generated cases (the database's verdicts are compared in SecretReferenceDatabaseGuardTests).</summary>
public sealed class SecretReferenceGrammarTests
{
    public static TheoryData<string, SecretBackendKind, string, string, string?> ValidReferences => new()
    {
        { "k8s:econt-tenants/tenant-acme-db#password", SecretBackendKind.Kubernetes, "econt-tenants", "tenant-acme-db", "password" },
        { "k8s:a/b#c", SecretBackendKind.Kubernetes, "a", "b", "c" },
        { "k8s:ns1/name.with.dots#key_1.x-Y", SecretBackendKind.Kubernetes, "ns1", "name.with.dots", "key_1.x-Y" },
        { "vault:secret/econt/tenants/acme#password", SecretBackendKind.Vault, "secret", "econt/tenants/acme", "password" },
        { "vault:kv_v2/a#k", SecretBackendKind.Vault, "kv_v2", "a", "k" },
        { "vault:Secret-2/a/b.c/_d-e#PASSWORD", SecretBackendKind.Vault, "Secret-2", "a/b.c/_d-e", "PASSWORD" },
        { "env:ACME_DB_PASSWORD", SecretBackendKind.Env, "ACME_DB_PASSWORD", "ACME_DB_PASSWORD", null },
        { "env:_X1", SecretBackendKind.Env, "_X1", "_X1", null },
        { "mock:acme", SecretBackendKind.Mock, "acme", "acme", null },
        { "mock:a.b_c-d", SecretBackendKind.Mock, "a.b_c-d", "a.b_c-d", null },
        { "aws:eu-west-1/econt/tenants/acme#password", SecretBackendKind.Aws, "eu-west-1", "econt/tenants/acme", "password" },
        { "aws:us-gov-west-1/tenant+acme_db-1.x#k", SecretBackendKind.Aws, "us-gov-west-1", "tenant+acme_db-1.x", "k" },
        { "gcp:econt-prod/tenant-acme-db#password", SecretBackendKind.Gcp, "econt-prod", "tenant-acme-db", "password" },
        { "gcp:my-project-123/Secret_ID-9#PASSWORD", SecretBackendKind.Gcp, "my-project-123", "Secret_ID-9", "PASSWORD" },
        { "azure:econt-kv/tenant-acme-db#password", SecretBackendKind.Azure, "econt-kv", "tenant-acme-db", "password" },
        { "azure:Kv1/A-1#key.x_y", SecretBackendKind.Azure, "Kv1", "A-1", "key.x_y" },
    };

    public static TheoryData<string> InvalidReferences => new()
    {
        "",
        "acme",
        "k8s:ns/name",
        "k8s:NS/name#k",
        "k8s:-ns/name#k",
        "k8s:ns/-name#k",
        "k8s:ns#k",
        "k8s:ns/name#",
        "vault:secret#k",
        "vault:secret//x#k",
        "vault:secret/../x#k",
        "vault:secret/.hidden#k",
        "vault:/secret/x#k",
        "env:lower_case",
        "env:1ABC",
        "mock:",
        "mock:Acme",
        "aws:arn:aws:secretsmanager:eu-west-1:123:secret:acme",
        "aws:eu-west-1/acme",
        "aws:eu-west/acme#k",
        "aws:EU-WEST-1/acme#k",
        "aws:eu-west-1/acme//x#k",
        "aws:eu-west-1/../x#k",
        "aws:eu-west-1/a=b#k",
        "gcp:econt-prod/tenant-acme-db",
        "gcp:abc/x#k",
        "gcp:1project/x#k",
        "gcp:project-/x#k",
        "gcp:econt-prod/a/b#k",
        "gcp:econt-prod/a.b#k",
        "gcp:econt-prod/" + new string('s', 256) + "#k",
        "azure:kv/x#k",
        "azure:1vault/x#k",
        "azure:vault-/x#k",
        "azure:econt-kv/a_b#k",
        "azure:econt-kv/a/b#k",
        "azure:econt-kv/x",
        "azure:" + new string('v', 25) + "/x#k",
        "azure:econt-kv/" + new string('s', 128) + "#k",
        "postgresql://acme:hunter2@db:5432/acme",  // secretlint-disable-line
        "k8s:ns/name#key with space",
        "k8s:ns/name#k\n",
        "vault:secret/a#password=hunter2",
        "mock:token=abc",
        "mock:hvs.caesijk8p",
        "mock:my-apikey",
        "vault:secret/api_key#k",
        "env:API-KEY",
        "k8s:ns/user@host#k",
        "mock:a\u00a0b",
        "mock:" + new string('a', SecretReference.MaxLength),
    };

    [Theory]
    [MemberData(nameof(ValidReferences))]
    public void Valid_references_parse_into_their_parts_and_round_trip(string text, SecretBackendKind backend, string container, string name, string? key)
    {
        var reference = SecretReference.Parse(text);

        Assert.Equal(backend, reference.Backend);
        Assert.Equal(container, reference.Container);
        Assert.Equal(name, reference.Name);
        Assert.Equal(key, reference.Key);
        Assert.Equal(text, reference.ToString());
        Assert.Equal(reference, SecretReference.Parse(reference.ToString()));
    }

    [Theory]
    [MemberData(nameof(InvalidReferences))]
    public void Invalid_references_are_refused_with_the_grammar_and_without_echoing_the_input(string text)
    {
        Assert.False(SecretReference.TryParse(text, out _, out var error));
        Assert.Contains("k8s:<namespace>/<secret-name>#<key>", error, StringComparison.Ordinal);
        // "mock:" and the like are fragments of the grammar text itself, which the message must show.
        if (text.Length > 0 && !SecretReference.Grammar.Contains(text, StringComparison.Ordinal))
        {
            Assert.DoesNotContain(text, error, StringComparison.Ordinal);
        }

        var exception = Assert.Throws<SecretReferenceException>(() => SecretReference.Parse(text));
        Assert.Equal(error, exception.Message);
    }

    [Fact]
    public void A_missing_reference_is_refused()
    {
        Assert.False(SecretReference.TryParse(null, out _, out var error));
        Assert.Contains("required", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_generated_valid_reference_round_trips(int seed)
    {
        foreach (var text in ReferenceCorpus.Valid(seed, 400))
        {
            Assert.True(SecretReference.TryParse(text, out var reference, out var error), $"{text}: {error}");
            Assert.Equal(text, reference.ToString());
            Assert.Equal(reference, SecretReference.Parse(reference.ToString()));
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Every_reference_with_a_url_an_at_sign_whitespace_or_a_credential_keyword_is_refused(int seed)
    {
        foreach (var text in ReferenceCorpus.WithForbiddenFragment(seed, ReferenceCorpus.Valid(seed, 400)))
        {
            Assert.False(SecretReference.TryParse(text, out _, out var error), $"accepted: {text}");
            Assert.DoesNotContain(text, error, StringComparison.Ordinal);
        }
    }
}
