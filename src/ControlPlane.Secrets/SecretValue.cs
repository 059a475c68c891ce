using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace ControlPlane.Secrets;

/// <summary>
/// A secret (a database password, a Vault token). Every accidental way out is redacted:
/// <see cref="ToString()"/>, string interpolation, structured logging, the debugger and JSON all show
/// <see cref="Redacted"/>. The only way to the characters is <see cref="Reveal"/>, named so that a reviewer
/// sees each place where a secret leaves this type (building a DSN, ALTER ROLE, an HTTP body to Vault).
/// </summary>
[DebuggerDisplay("{Redacted,nq}")]
[JsonConverter(typeof(SecretValueJsonConverter))]
public sealed class SecretValue : IEquatable<SecretValue>, ISpanFormattable
{
    public const string Redacted = "***";

    private readonly string _value;

    public SecretValue(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = value;
    }

    /// <summary>Number of characters, for validation messages that must not show the value itself.</summary>
    public int Length => _value.Length;

    /// <summary>The secret itself. Call only where the secret must leave the process (DSN, SQL, backend write).</summary>
    public string Reveal() => _value;

    public override string ToString() => Redacted;

    public string ToString(string? format, IFormatProvider? formatProvider) => Redacted;

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < Redacted.Length)
        {
            return false;
        }

        Redacted.AsSpan().CopyTo(destination);
        charsWritten = Redacted.Length;
        return true;
    }

    /// <summary>Constant-time comparison, so equality checks do not leak the value through timing.</summary>
    public bool Equals(SecretValue? other) =>
        other is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(_value), Encoding.UTF8.GetBytes(other._value));

    public override bool Equals(object? obj) => Equals(obj as SecretValue);

    // Hashing the value would make the hash a (weak) oracle for the secret; equal values still share a bucket.
    public override int GetHashCode() => _value.Length;
}
