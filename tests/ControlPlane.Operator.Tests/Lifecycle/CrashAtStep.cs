using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>Fails the reconcile right after one step, once, and says when it did: a crash at a chosen point.</summary>
internal sealed class CrashAtStep(string step) : IProvisioningFaults
{
    private int _crashed;

    public TaskCompletionSource Crashed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask AfterAsync(string reached, CancellationToken cancellationToken)
    {
        if (reached == step && Interlocked.Exchange(ref _crashed, 1) == 0)
        {
            Crashed.TrySetResult();
            throw new OperationCanceledException($"Simulated crash after {step}.");
        }

        return ValueTask.CompletedTask;
    }
}
