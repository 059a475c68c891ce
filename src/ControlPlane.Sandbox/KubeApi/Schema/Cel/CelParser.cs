using System.Globalization;
using System.Text;

namespace ControlPlane.Sandbox.KubeApi.Schema.Cel;

/// <summary>
/// A recursive-descent parser for a CEL subset: literals (int, double, string with escapes, raw strings, bool, null),
/// lists, <c>self</c>/<c>oldSelf</c>, field selection, indexing, <c>has()</c>, method and global calls, <c>! -</c>,
/// <c>* / %</c>, <c>+ -</c>, comparisons, <c>in</c>, <c>&amp;&amp;</c>, <c>||</c> and <c>?:</c>. Macros (all, exists, map,
/// filter) and anything else raise <see cref="CelUnsupportedException"/>.
/// </summary>
internal sealed class CelParser
{
    private static readonly HashSet<string> Methods = ["size", "lowerAscii", "upperAscii", "matches", "startsWith", "endsWith", "contains", "trim"];
    private static readonly HashSet<string> Functions = ["size", "int", "string"];
    private static readonly string[] Symbols = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "-", "+", "*", "/", "%", "?", ":", "(", ")", "[", "]", ",", "."];
    private readonly List<string> _tokens;
    private int _position;

    private CelParser(List<string> tokens) => _tokens = tokens;

    public static CelExpr Parse(string text)
    {
        var parser = new CelParser(Tokenize(text));
        var expression = parser.Conditional();
        return parser._position == parser._tokens.Count ? expression : throw new CelUnsupportedException($"unexpected '{parser.Peek}'");
    }

    private string? Peek => _position < _tokens.Count ? _tokens[_position] : null;

    private bool Accept(string token)
    {
        if (Peek != token)
        {
            return false;
        }

        _position++;
        return true;
    }

    private void Expect(string token)
    {
        if (!Accept(token))
        {
            throw new CelUnsupportedException($"expected '{token}' at '{Peek}'");
        }
    }

    private CelExpr Conditional()
    {
        var condition = Or();
        if (!Accept("?"))
        {
            return condition;
        }

        var then = Conditional();
        Expect(":");
        return new CelExpr.Conditional(condition, then, Conditional());
    }

    private CelExpr Or() => LeftAssociative(And, "||");

    private CelExpr And() => LeftAssociative(Relation, "&&");

    private CelExpr Relation()
    {
        var left = Additive();
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">", "in" })
        {
            if (Accept(op))
            {
                return new CelExpr.Binary(op, left, Additive());
            }
        }

        return left;
    }

    private CelExpr Additive() => LeftAssociative(Multiplicative, "+", "-");

    private CelExpr Multiplicative() => LeftAssociative(Unary, "*", "/", "%");

    private CelExpr LeftAssociative(Func<CelExpr> operand, params string[] operators)
    {
        var left = operand();
        while (Peek is { } op && operators.Contains(op))
        {
            _position++;
            left = new CelExpr.Binary(op, left, operand());
        }

        return left;
    }

    private CelExpr Unary() =>
        Accept("!") ? new CelExpr.Unary("!", Unary())
        : Accept("-") ? new CelExpr.Unary("-", Unary())
        : Postfix(Primary());

    private CelExpr Postfix(CelExpr target)
    {
        while (true)
        {
            if (Accept("."))
            {
                var name = Identifier();
                if (Accept("("))
                {
                    // Macros (all, exists, map, filter…) and functions outside the subset make the whole rule unsupported.
                    target = Methods.Contains(name) ? new CelExpr.Call(target, name, Arguments()) : throw new CelUnsupportedException($"method {name}");
                }
                else
                {
                    target = new CelExpr.Select(target, name);
                }
            }
            else if (Accept("["))
            {
                var key = Conditional();
                Expect("]");
                target = new CelExpr.Index(target, key);
            }
            else
            {
                return target;
            }
        }
    }

    private CelExpr Primary()
    {
        var token = Peek ?? throw new CelUnsupportedException("unexpected end of rule");
        if (Accept("("))
        {
            var inner = Conditional();
            Expect(")");
            return inner;
        }

        if (Accept("["))
        {
            var items = new List<CelExpr>();
            while (!Accept("]"))
            {
                items.Add(Conditional());
                if (Peek != "]")
                {
                    Expect(",");
                }
            }

            return new CelExpr.ListOf(items);
        }

        _position++;
        if (token.StartsWith('\u0001'))
        {
            return new CelExpr.Literal(token[1..]);
        }

        if (char.IsDigit(token[0]))
        {
            return token.Contains('.', StringComparison.Ordinal) || token.Contains('e', StringComparison.OrdinalIgnoreCase)
                ? new CelExpr.Literal(double.Parse(token, CultureInfo.InvariantCulture))
                : new CelExpr.Literal(long.Parse(token.TrimEnd('u', 'U'), CultureInfo.InvariantCulture));
        }

        switch (token)
        {
            case "true":
                return new CelExpr.Literal(true);
            case "false":
                return new CelExpr.Literal(false);
            case "null":
                return new CelExpr.Literal(null);
            case "has":
                Expect("(");
                var selection = Postfix(Primary());
                Expect(")");
                return selection is CelExpr.Select select
                    ? new CelExpr.Has(select.Target, select.Field)
                    : throw new CelUnsupportedException("has() needs a field selection");
        }

        if (!IsIdentifier(token))
        {
            throw new CelUnsupportedException($"unexpected '{token}'");
        }

        if (Accept("("))
        {
            return Functions.Contains(token) ? new CelExpr.Call(null, token, Arguments()) : throw new CelUnsupportedException($"function {token}");
        }

        return new CelExpr.Ident(token);
    }

    private List<CelExpr> Arguments()
    {
        var arguments = new List<CelExpr>();
        while (!Accept(")"))
        {
            arguments.Add(Conditional());
            if (Peek != ")")
            {
                Expect(",");
            }
        }

        return arguments;
    }

    private string Identifier()
    {
        var token = Peek;
        if (token is null || !IsIdentifier(token))
        {
            throw new CelUnsupportedException($"expected a name at '{token}'");
        }

        _position++;
        return token;
    }

    private static bool IsIdentifier(string token) => (char.IsLetter(token[0]) || token[0] == '_') && token.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>Tokens; string literals are returned decoded, marked with a leading U+0001.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '\'' or '"' || (c is 'r' or 'R' && i + 1 < text.Length && text[i + 1] is '\'' or '"'))
            {
                var raw = c is 'r' or 'R';
                i += raw ? 1 : 0;
                var quote = text[i];
                if (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)
                {
                    throw new CelUnsupportedException("triple-quoted strings");
                }

                var value = new StringBuilder();
                for (i++; i < text.Length && text[i] != quote; i++)
                {
                    if (text[i] == '\\' && !raw && i + 1 < text.Length)
                    {
                        i++;
                        value.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => text[i] });
                    }
                    else
                    {
                        value.Append(text[i]);
                    }
                }

                if (i >= text.Length)
                {
                    throw new CelUnsupportedException("unterminated string");
                }

                i++;
                tokens.Add("\u0001" + value);
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
            else
            {
                var symbol = Symbols.FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0)
                    ?? throw new CelUnsupportedException($"unexpected character '{c}'");
                tokens.Add(symbol);
                i += symbol.Length;
            }
        }

        return tokens;
    }
}
