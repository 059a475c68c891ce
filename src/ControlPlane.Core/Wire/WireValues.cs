using System.Collections.Frozen;

namespace ControlPlane.Core.Wire;

/// <summary>
/// The way back from the wire for every enum whose members travel as strings (condition and Event reasons, phases,
/// catalog event types): an index of the type's own <c>ToWire</c>, built once per type. The way there is that
/// <c>ToWire</c>, an exhaustive switch in the file defining the type; nothing else turns such a member into a string
/// or a string back into a member (never <c>ToString()</c> or <c>Enum.Parse</c>: a member's name is not its wire value).
/// </summary>
public static class WireValues
{
    /// <summary>
    /// The member whose wire value (<paramref name="toWire"/>, the same function on every call for one type) is exactly
    /// <paramref name="wire"/>; false for any other text, or none (an object or row written by another version).
    /// </summary>
    public static bool TryParse<TEnum>(string? wire, Func<TEnum, string> toWire, out TEnum value)
        where TEnum : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(toWire);

        // Built on first use; two threads racing build the same index. Duplicate wire values throw here, at once.
        var index = Index<TEnum>.ByWire ??= Enum.GetValues<TEnum>().ToFrozenDictionary(toWire, StringComparer.Ordinal);
        return index.TryGetValue(wire ?? "", out value);
    }

    private static class Index<TEnum>
        where TEnum : struct, Enum
    {
        public static FrozenDictionary<string, TEnum>? ByWire;
    }
}
