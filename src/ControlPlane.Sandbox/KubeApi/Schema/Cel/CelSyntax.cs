namespace ControlPlane.Sandbox.KubeApi.Schema.Cel;

/// <summary>The CEL expressions this server evaluates. Anything else fails to parse and the rule is ignored.</summary>
internal abstract record CelExpr
{
    public sealed record Literal(object? Value) : CelExpr;

    public sealed record Ident(string Name) : CelExpr;

    public sealed record Select(CelExpr Target, string Field) : CelExpr;

    public sealed record Has(CelExpr Target, string Field) : CelExpr;

    public sealed record Index(CelExpr Target, CelExpr Key) : CelExpr;

    public sealed record Call(CelExpr? Target, string Function, IReadOnlyList<CelExpr> Arguments) : CelExpr;

    public sealed record Unary(string Operator, CelExpr Operand) : CelExpr;

    public sealed record Binary(string Operator, CelExpr Left, CelExpr Right) : CelExpr;

    public sealed record Conditional(CelExpr Condition, CelExpr Then, CelExpr Else) : CelExpr;

    public sealed record ListOf(IReadOnlyList<CelExpr> Items) : CelExpr;
}

/// <summary>The rule uses syntax outside the supported subset; the rule is ignored.</summary>
internal sealed class CelUnsupportedException(string message) : Exception(message);

/// <summary>A CEL runtime error (no such key, no such overload): the rule fails, as in kube-apiserver.</summary>
internal sealed class CelEvaluationException(string message) : Exception(message);
