using System.Globalization;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// A tenant schema version as Evolve numbers migrations (<c>V2__…</c>, <c>V2_1__…</c>): dot-separated integers,
/// compared part by part, so 2.10 &gt; 2.9.
/// </summary>
public sealed class SchemaVersion : IComparable<SchemaVersion>, IEquatable<SchemaVersion>
{
    private readonly long[] _parts;

    private SchemaVersion(long[] parts) => _parts = parts;

    public static SchemaVersion Parse(string value) =>
        TryParse(value, out var version) ? version : throw new FormatException("A schema version is dot-separated numbers, e.g. 2 or 2.1.");

    public static bool TryParse(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SchemaVersion? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 32)
        {
            return false;
        }

        var pieces = value.Split('.', '_');
        var parts = new long[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            if (pieces[i].Length == 0 || !pieces[i].All(char.IsAsciiDigit)
                || !long.TryParse(pieces[i], NumberStyles.None, CultureInfo.InvariantCulture, out parts[i]))
            {
                return false;
            }
        }

        version = new SchemaVersion(parts);
        return true;
    }

    public int CompareTo(SchemaVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        for (var i = 0; i < Math.Max(_parts.Length, other._parts.Length); i++)
        {
            var difference = (i < _parts.Length ? _parts[i] : 0).CompareTo(i < other._parts.Length ? other._parts[i] : 0);
            if (difference != 0)
            {
                return difference;
            }
        }

        return 0;
    }

    public bool Equals(SchemaVersion? other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SchemaVersion other && Equals(other);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    public override string ToString() => string.Join('.', _parts.Reverse().SkipWhile(p => p == 0).Reverse().DefaultIfEmpty(0));

    public static bool operator ==(SchemaVersion? left, SchemaVersion? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SchemaVersion? left, SchemaVersion? right) => !(left == right);

    public static bool operator <(SchemaVersion left, SchemaVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(SchemaVersion left, SchemaVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(SchemaVersion left, SchemaVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SchemaVersion left, SchemaVersion right) => left.CompareTo(right) >= 0;
}
