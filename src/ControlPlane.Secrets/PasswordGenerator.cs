using System.Security.Cryptography;

namespace ControlPlane.Secrets;

/// <summary>
/// Generates database passwords with the operating system's CSPRNG. The alphabet is letters, digits,
/// '-' and '_': nothing that needs quoting or escaping in a libpq/Npgsql keyword string (; = ' " space \),
/// a postgresql:// URL (@ : / ? # %), a SQL string literal (') or a shell. 64 symbols give 6 bits per
/// character, so the 40-character default carries 240 bits.
/// </summary>
public sealed class PasswordGenerator
{
    public const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    public const int MinimumLength = 32;
    public const int DefaultLength = 40;

    public SecretValue Generate(int length = DefaultLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, MinimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 128);

        // GetString draws each character uniformly (rejection sampling), so there is no modulo bias.
        return new SecretValue(RandomNumberGenerator.GetString(Alphabet, length));
    }
}
