using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// A PostgreSQL SCRAM-SHA-256 password verifier (RFC 5802/7677, as stored in <c>pg_authid.rolpassword</c>).
/// Roles are created with the verifier, never the password, so the plaintext does not travel in SQL text and
/// cannot reach the server's statement log or <c>pg_stat_statements</c>. The verifier itself would allow an
/// offline guessing attack, so it is redacted from every string form as well.
/// </summary>
public sealed class ScramVerifier
{
    private const int Iterations = 4096;
    private const int SaltLength = 16;

    private readonly string _value;

    private ScramVerifier(string value) => _value = value;

    /// <summary>Computes a verifier with a fresh random salt. <paramref name="password"/> must be ASCII (SASLprep is identity there).</summary>
    public static ScramVerifier Compute(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!Ascii.IsValid(password))
        {
            throw new ArgumentException("Only ASCII passwords are supported (generated passwords always are).", nameof(password));
        }

        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        return new ScramVerifier(
            $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }

    /// <summary>The SQL string literal for <c>PASSWORD</c>; base64 and <c>$:</c> only, so no quoting can break.</summary>
    internal string ToSqlLiteral() => "'" + _value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public override string ToString() => "SCRAM-SHA-256$(redacted)";
}
