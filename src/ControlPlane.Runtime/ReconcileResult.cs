namespace ControlPlane.Runtime;

/// <summary>
/// What a reconcile concluded. Closed set: <see cref="Done"/>, <see cref="Requeue"/>, <see cref="Transient"/>
/// (retried with per-key exponential backoff) and <see cref="Terminal"/> (not retried until the object changes;
/// the reconciler records the reason in a condition).
/// </summary>
public abstract record ReconcileResult
{
    private ReconcileResult()
    {
    }

    /// <summary>The metric label of the result.</summary>
    public abstract string Label { get; }

    public static ReconcileResult Success() => new Done();

    public static ReconcileResult RequeueAfter(TimeSpan after) => new Requeue(after);

    public static ReconcileResult TransientError(string message, Exception? error = null) => new Transient(message, error);

    public static ReconcileResult TerminalError(string reason, string message) => new Terminal(reason, message);

    /// <summary>Converged; nothing to do until the object changes.</summary>
    public sealed record Done : ReconcileResult
    {
        public override string Label => "done";
    }

    /// <summary>Converged for now; look again after <paramref name="After"/> (e.g. polling an external system).</summary>
    public sealed record Requeue(TimeSpan After) : ReconcileResult
    {
        public override string Label => "requeue";
    }

    /// <summary>Failed in a way a retry may fix (API or database unavailable); backs off exponentially.</summary>
    public sealed record Transient(string Message, Exception? Error) : ReconcileResult
    {
        public override string Label => "transient_error";
    }

    /// <summary>Failed in a way only a spec change can fix; <paramref name="Reason"/> is a CamelCase condition reason.</summary>
    public sealed record Terminal(string Reason, string Message) : ReconcileResult
    {
        public override string Label => "terminal_error";
    }
}
