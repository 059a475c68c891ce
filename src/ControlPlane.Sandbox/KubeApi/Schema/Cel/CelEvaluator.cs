using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Schema.Cel;

/// <summary>
/// Evaluates a parsed rule over JSON values. Values: null, bool, long, double, string, <see cref="List{T}"/> of values,
/// and <see cref="JsonObject"/> for maps and objects. Functions: size, has, lowerAscii, upperAscii, matches (with
/// Go RE2 semantics, see <see cref="Re2Pattern"/>), startsWith, endsWith, contains, trim, int, string.
/// </summary>
internal static class CelEvaluator
{
    public static object? Evaluate(CelExpr expression, IReadOnlyDictionary<string, object?> variables) => expression switch
    {
        CelExpr.Literal literal => literal.Value,
        CelExpr.Ident ident => variables.TryGetValue(ident.Name, out var value) ? value : throw new CelEvaluationException($"undeclared reference to '{ident.Name}'"),
        CelExpr.ListOf list => list.Items.Select(i => Evaluate(i, variables)).ToList(),
        CelExpr.Select select => Field(Evaluate(select.Target, variables), select.Field),
        CelExpr.Has has => Evaluate(has.Target, variables) is JsonObject obj
            ? obj.ContainsKey(has.Field)
            : throw new CelEvaluationException("has() on a value that is not an object"),
        CelExpr.Index index => IndexOf(Evaluate(index.Target, variables), Evaluate(index.Key, variables)),
        CelExpr.Unary { Operator: "!" } not => !Bool(Evaluate(not.Operand, variables)),
        CelExpr.Unary negate => Evaluate(negate.Operand, variables) switch
        {
            long l => -l,
            double d => -d,
            _ => throw NoOverload("-"),
        },
        CelExpr.Binary { Operator: "&&" } and => Bool(Evaluate(and.Left, variables)) && Bool(Evaluate(and.Right, variables)),
        CelExpr.Binary { Operator: "||" } or => Bool(Evaluate(or.Left, variables)) || Bool(Evaluate(or.Right, variables)),
        CelExpr.Binary binary => Binary(binary.Operator, Evaluate(binary.Left, variables), Evaluate(binary.Right, variables)),
        CelExpr.Conditional conditional => Bool(Evaluate(conditional.Condition, variables))
            ? Evaluate(conditional.Then, variables)
            : Evaluate(conditional.Else, variables),
        CelExpr.Call call => Call(call, variables),
        _ => throw new CelUnsupportedException(expression.GetType().Name),
    };

    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj,
        JsonArray array => array.Select(FromJson).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number => value.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };

    private static object? Field(object? target, string field) => target is JsonObject obj
        ? obj.TryGetPropertyValue(field, out var value) ? FromJson(value) : throw new CelEvaluationException($"no such key: {field}")
        : throw new CelEvaluationException($"no such key: {field}");

    private static object? IndexOf(object? target, object? key) => (target, key) switch
    {
        (List<object?> list, long i) when i >= 0 && i < list.Count => list[(int)i],
        (List<object?>, long i) => throw new CelEvaluationException($"index out of bounds: {i}"),
        (JsonObject obj, string k) => Field(obj, k),
        _ => throw NoOverload("[]"),
    };

    private static object? Binary(string op, object? left, object? right) => op switch
    {
        "==" => ValueEquals(left, right),
        "!=" => !ValueEquals(left, right),
        "in" => right switch
        {
            List<object?> list => list.Any(item => ValueEquals(item, left)),
            JsonObject map when left is string key => map.ContainsKey(key),
            _ => throw NoOverload("in"),
        },
        "<" => Compare(left, right) < 0,
        "<=" => Compare(left, right) <= 0,
        ">" => Compare(left, right) > 0,
        ">=" => Compare(left, right) >= 0,
        "+" => (left, right) switch
        {
            (long a, long b) => a + b,
            (string a, string b) => a + b,
            (List<object?> a, List<object?> b) => a.Concat(b).ToList(),
            _ when IsNumber(left) && IsNumber(right) => ToDouble(left) + ToDouble(right),
            _ => throw NoOverload("+"),
        },
        "-" => (left, right) switch
        {
            (long a, long b) => a - b,
            _ when IsNumber(left) && IsNumber(right) => ToDouble(left) - ToDouble(right),
            _ => throw NoOverload("-"),
        },
        "*" => (left, right) switch
        {
            (long a, long b) => a * b,
            _ when IsNumber(left) && IsNumber(right) => ToDouble(left) * ToDouble(right),
            _ => throw NoOverload("*"),
        },
        "/" => (left, right) switch
        {
            (long, 0L) => throw new CelEvaluationException("division by zero"),
            (long a, long b) => a / b,
            _ when IsNumber(left) && IsNumber(right) => ToDouble(left) / ToDouble(right),
            _ => throw NoOverload("/"),
        },
        "%" => (left, right) switch
        {
            (long, 0L) => throw new CelEvaluationException("modulus by zero"),
            (long a, long b) => a % b,
            _ => throw NoOverload("%"),
        },
        _ => throw new CelUnsupportedException(op),
    };

    private static object? Call(CelExpr.Call call, IReadOnlyDictionary<string, object?> variables)
    {
        var target = call.Target is null ? null : Evaluate(call.Target, variables);
        var arguments = call.Arguments.Select(a => Evaluate(a, variables)).ToList();
        if (call.Target is null)
        {
            return (call.Function, arguments) switch
            {
                ("size", [var single]) => Size(single),
                ("int", [string s]) => long.TryParse(s, out var parsed) ? parsed : throw new CelEvaluationException($"cannot convert '{s}' to int"),
                ("int", [long l]) => l,
                ("int", [double d]) => (long)d,
                ("string", [var single]) => Convert.ToString(single, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new CelUnsupportedException($"function {call.Function}"),
            };
        }

        return (call.Function, target, arguments) switch
        {
            ("size", _, []) => Size(target),
            ("lowerAscii", string s, []) => string.Create(s.Length, s, (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = char.IsAsciiLetterUpper(source[i]) ? char.ToLowerInvariant(source[i]) : source[i];
                }
            }),
            ("upperAscii", string s, []) => string.Create(s.Length, s, (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = char.IsAsciiLetterLower(source[i]) ? char.ToUpperInvariant(source[i]) : source[i];
                }
            }),
            ("matches", string s, [string pattern]) => Re2Pattern.IsMatch(pattern, s),
            ("startsWith", string s, [string prefix]) => s.StartsWith(prefix, StringComparison.Ordinal),
            ("endsWith", string s, [string suffix]) => s.EndsWith(suffix, StringComparison.Ordinal),
            ("contains", string s, [string part]) => s.Contains(part, StringComparison.Ordinal),
            ("trim", string s, []) => s.Trim(),
            _ => throw new CelUnsupportedException($"function {call.Function}"),
        };
    }

    private static long Size(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> list => list.Count,
        JsonObject obj => obj.Count,
        _ => throw NoOverload("size"),
    };

    private static bool ValueEquals(object? left, object? right) => (left, right) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (List<object?> a, List<object?> b) => a.Count == b.Count && a.Zip(b).All(p => ValueEquals(p.First, p.Second)),
        (JsonObject a, JsonObject b) => JsonNode.DeepEquals(a, b),
        _ when IsNumber(left) && IsNumber(right) => ToDouble(left) == ToDouble(right),
        _ => left.Equals(right),
    };

    private static int Compare(object? left, object? right) => (left, right) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (bool a, bool b) => a.CompareTo(b),
        _ when IsNumber(left) && IsNumber(right) => ToDouble(left).CompareTo(ToDouble(right)),
        _ => throw NoOverload("<"),
    };

    private static bool Bool(object? value) => value as bool? ?? throw new CelEvaluationException("no matching overload: expected a bool");

    private static bool IsNumber(object? value) => value is long or double;

    private static double ToDouble(object? value) => value is long l ? l : (double)value!;

    private static CelEvaluationException NoOverload(string op) => new($"no matching overload for '{op}'");
}
