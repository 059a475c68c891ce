using ControlPlane.Store.Connection;
using Npgsql;
using Xunit;

namespace ControlPlane.Secrets.Tests;

public sealed class PasswordGeneratorTests
{
    private readonly PasswordGenerator _generator = new();

    [Fact]
    public void Passwords_are_long_distinct_and_drawn_from_the_whole_safe_alphabet()
    {
        var passwords = Enumerable.Range(0, 2000).Select(_ => _generator.Generate().Reveal()).ToList();

        Assert.All(passwords, p => Assert.True(p.Length >= PasswordGenerator.MinimumLength));
        Assert.All(passwords, p => Assert.All(p, c => Assert.Contains(c, PasswordGenerator.Alphabet)));
        Assert.Equal(passwords.Count, passwords.Distinct().Count());

        // 80 000 draws from 64 symbols: each appears ~1250 times; missing or wildly rare ones would mean a bias.
        var counts = passwords.SelectMany(p => p).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(PasswordGenerator.Alphabet.Length, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 1000, 1500));
    }

    [Fact]
    public void Shorter_than_32_characters_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _generator.Generate(31));
        Assert.Equal(32, _generator.Generate(32).Length);
    }

    [Fact]
    public void A_generated_password_survives_a_keyword_string_a_url_and_a_sql_literal_unchanged()
    {
        for (var i = 0; i < 200; i++)
        {
            var password = _generator.Generate().Reveal();

            var keywords = new NpgsqlConnectionStringBuilder($"Host=db;Username=acme;Password={password}");
            Assert.Equal(password, keywords.Password);

            var url = DatabaseUrl.Parse($"postgresql://acme:{password}@db:5432/acme");
            Assert.Equal(password, url.Password);

            Assert.DoesNotContain('\'', password);
            Assert.DoesNotContain('\\', password);
        }
    }
}
