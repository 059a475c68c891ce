using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>
/// How kube-apiserver reads a CRD <c>pattern</c> and CEL's <c>matches</c>: Go's regexp (RE2), evaluated with RE2's
/// meaning on .NET's engine. One translator for the in-process API server and the operator's own validation
/// (<c>TenantSpecSchema</c>), so the two cannot drift apart. Go and .NET read the same text differently:
/// RE2's <c>$</c> is the end of the text (.NET's also matches before a final newline); RE2's <c>\s</c>, <c>\d</c>,
/// <c>\w</c> and <c>[[:space:]]</c> are ASCII (.NET's are Unicode); RE2 matches code points (.NET UTF-16 units, so
/// <c>.</c> or <c>[^x]</c> would see half a character outside the BMP). Unsupported RE2 syntax throws rather than
/// silently meaning something else.
/// </summary>
public static class Re2Pattern
{
    private const string AstralCharacter = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";

    private static readonly ConcurrentDictionary<string, Regex> Compiled = new();

    private static readonly Dictionary<string, string> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = @"\x00-\x7F",
        ["blank"] = @"\t ",
        ["cntrl"] = @"\x00-\x1F\x7F",
        ["digit"] = "0-9",
        ["graph"] = @"!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = @"!-/:-@\[-`{-~",
        ["space"] = @"\t\n\v\f\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>Whether <paramref name="input"/> matches <paramref name="re2"/> as Go's <c>regexp.MatchString</c> decides.</summary>
    public static bool IsMatch(string re2, string input) =>
        Compiled.GetOrAdd(re2, static p => new Regex(ToDotNet(p), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))).IsMatch(input);

    /// <summary>The .NET spelling of an RE2 pattern, for the subset CRDs use.</summary>
    public static string ToDotNet(string re2)
    {
        ArgumentNullException.ThrowIfNull(re2);
        var result = new StringBuilder(re2.Length * 2);
        var i = 0;
        while (i < re2.Length)
        {
            var c = re2[i];
            if (c == '\\')
            {
                result.Append(Escape(re2, ref i, inClass: false));
            }
            else if (c == '[')
            {
                result.Append(Class(re2, ref i));
            }
            else
            {
                result.Append(c switch
                {
                    '$' => @"\z",
                    '.' => $"(?:{AstralCharacter}|[^\\n])",
                    _ => c.ToString(),
                });
                i++;
            }
        }

        return result.ToString();
    }

    private static string Class(string re2, ref int i)
    {
        var negated = i + 1 < re2.Length && re2[i + 1] == '^';
        i += negated ? 2 : 1;
        var body = new StringBuilder();
        var first = true;
        while (i < re2.Length && (re2[i] != ']' || first))
        {
            if (re2[i] == '\\')
            {
                body.Append(Escape(re2, ref i, inClass: true));
            }
            else if (re2[i] == '[' && i + 1 < re2.Length && re2[i + 1] == ':')
            {
                var end = re2.IndexOf(":]", i + 2, StringComparison.Ordinal);
                var name = end < 0 ? null : re2[(i + 2)..end];
                if (name is null || name.StartsWith('^') || !PosixClasses.TryGetValue(name, out var ranges))
                {
                    throw new NotSupportedException($"RE2 class [:{name}:] is not supported.");
                }

                body.Append(ranges);
                i = end + 2;
            }
            else
            {
                // A ']' first in a class is a literal in RE2; .NET needs it escaped. '[' alone is a literal in both.
                body.Append(re2[i] is ']' or '[' ? "\\" + re2[i] : re2[i].ToString());
                i++;
            }

            first = false;
        }

        if (i >= re2.Length)
        {
            throw new ArgumentException($"Unterminated character class in '{re2}'.", nameof(re2));
        }

        i++;

        // A negated class matches one code point in RE2: a surrogate pair is one character, not two.
        return negated ? $"(?:{AstralCharacter}|[^{body}])" : $"[{body}]";
    }

    private static string Escape(string re2, ref int i, bool inClass)
    {
        if (i + 1 >= re2.Length)
        {
            throw new ArgumentException($"Trailing backslash in '{re2}'.", nameof(re2));
        }

        var next = re2[i + 1];
        i += 2;
        switch (next)
        {
            case 's': return inClass ? @"\t\n\f\r " : @"[\t\n\f\r ]";
            case 'd': return inClass ? "0-9" : "[0-9]";
            case 'w': return inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]";
            case 'S' or 'D' or 'W' when inClass: throw new NotSupportedException($"RE2 \\{next} inside a class is not supported.");
            case 'S': return $"(?:{AstralCharacter}|[^\\t\\n\\f\\r ])";
            case 'D': return $"(?:{AstralCharacter}|[^0-9])";
            case 'W': return $"(?:{AstralCharacter}|[^0-9A-Za-z_])";
            case 'b' or 'B' or 'C' or 'Q' or 'E': throw new NotSupportedException($"RE2 \\{next} is not supported.");
            case 'p' or 'P':
                var end = re2.IndexOf('}', i);
                if (i >= re2.Length || re2[i] != '{' || end < 0)
                {
                    throw new NotSupportedException("RE2 one-letter \\p classes are not supported; use \\p{Name}.");
                }

                var property = re2[(i - 2)..(end + 1)];
                i = end + 1;
                return property;
            case 'x' when i < re2.Length && re2[i] == '{':
                var close = re2.IndexOf('}', i);
                var codePoint = int.Parse(re2[(i + 1)..close], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                i = close + 1;
                if (codePoint > 0xFFFF)
                {
                    throw new NotSupportedException("RE2 \\x{…} beyond the BMP is not supported.");
                }

                return "\\u" + codePoint.ToString("X4", CultureInfo.InvariantCulture);
            default: return "\\" + next;
        }
    }
}
